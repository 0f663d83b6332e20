import { describe, expect, it } from 'vitest';
import { createNameMatch, createNamePossible } from '../../../src/logs/name-match.js';
import { createKeyMatcher, DEFAULT_REDACT_KEYS } from '../../../src/logs/redact.js';
import { isSecretName } from '../../../src/logs/secret-names.js';

/** The comparison a key matcher makes: the key lowercased, whole or after its last dot. */
const lowercased = (names: ReadonlySet<string>) => (key: string) => {
  if (names.has(key.toLowerCase())) return true;
  const dot = key.lastIndexOf('.');
  return dot !== -1 && names.has(key.slice(dot + 1).toLowerCase());
};

const setOf = (keys: readonly string[]) => new Set(keys.map((k) => k.toLowerCase()));

describe('createNameMatch', () => {
  it('gives the lowercased comparison’s verdict, or none, for names, their cases, dots and look-alikes', () => {
    const names = setOf([...DEFAULT_REDACT_KEYS, 'ssn', 'contraseña', 'a.b', 'x.', '', 'ké', 'Kelvin']);
    const match = createNameMatch(names);
    const expected = lowercased(names);
    const texts = [
      'ord_10042',
      '7c9e6679-7425-40de-944b-e07fc1f90001',
      'Accept',
      'Host',
      'checkout',
      'a.b.c',
      'y.x.',
    ];
    for (const name of names) {
      texts.push(
        name,
        name.toUpperCase(),
        `header.${name}`,
        `A.${name.toUpperCase()}`,
        `${name}.`,
        `x${name}`,
      );
      texts.push(`${name}x`, name.slice(1), name.slice(0, -1), `${name.slice(0, -1)}\u212a`);
    }
    texts.push('\u212aELVIN', 'Api_\u212aey', 'CONTRASEÑA', 'İd', 'a\u0307');
    let told = 0;
    for (const text of texts) {
      const verdict = match(text);
      if (verdict === undefined) continue;
      told++;
      expect(verdict, text).toBe(expected(text));
    }
    expect(told).toBeGreaterThan(texts.length * 0.8);
  });

  it('leaves every string to the lowercased comparison when a name holds the dot İ lowercases into', () => {
    const match = createNameMatch(setOf(['İd']));
    expect(match('İD')).toBeUndefined();
    expect(match('pin')).toBeUndefined();
  });
});

describe('createNamePossible', () => {
  const extra = ['ssn', 'contraseña', 'a.b', 'x.', 'ké', 'Kelvin', 'İd'];
  const names = setOf([...DEFAULT_REDACT_KEYS, ...extra]);
  /** Names, endings of credentials, their cases, dots, look-alikes, and what arrays hold. */
  const texts = [
    'ord_10042',
    '7c9e6679-7425-40de-944b-e07fc1f90001',
    'Host',
    'User-Agent',
    'Accept',
    'X-Request-Id',
    'Content-Type',
    'checkout',
    'db_password',
    'passwordHash',
    'DB_PASS',
    'compass',
    'x-goog-api-key',
    'cache_key',
    'idToken',
    'signedCookies',
    'a.b.c',
    'y.x.',
    'x',
    '',
  ];
  for (const name of names) {
    texts.push(name, name.toUpperCase(), `header.${name}`, `A.${name.toUpperCase()}`, `${name}.`);
    texts.push(`x${name}`, `${name}x`, name.slice(1), name.slice(0, -1), `${name.slice(0, -1)}\u212a`);
  }
  texts.push('\u212aELVIN', 'Api_\u212aey', 'CONTRASEÑA', 'İd', 'İD', 'xİd', 'a\u0307', 'Session\u212aey');

  it('rules out only strings the key matcher judges no name to hide, and most of those', () => {
    const possible = createNamePossible(names);
    const matches = createKeyMatcher(extra);
    let ruledOut = 0;
    let none = 0;
    for (const text of texts) {
      const verdict = matches(text) || isSecretName(text);
      if (!verdict) none++;
      if (possible(text)) continue;
      ruledOut++;
      expect(verdict, text).toBe(false);
    }
    expect(ruledOut).toBeGreaterThan(none * 0.5);
  });

  it('judges a name among values as the key matcher judges a key', () => {
    const matches = createKeyMatcher(extra);
    for (const text of texts) expect(matches.amongValues(text), text).toBe(matches(text));
  });

  it('leaves every string possible beside a name shorter than two characters', () => {
    const possible = createNamePossible(setOf(['x']));
    expect(possible('a.x')).toBe(true);
    expect(possible('Host')).toBe(true);
  });
});
