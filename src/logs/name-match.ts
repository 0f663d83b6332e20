import { mayEndSecretName } from './secret-names.js';

const DOT = 0x2e;

/**
 * Whether a string, lowercased, is one of `names` (each lowercase), whole or after its last dot,
 * as a key matcher compares keys, told without allocating: most strings (an id ending in a digit, a
 * word no name ends like) are told apart by their last character. Undefined for a string whose
 * characters beyond ASCII leave it to the full comparison (the Kelvin sign lowercases to k).
 */
export function createNameMatch(names: ReadonlySet<string>): (text: string) => boolean | undefined {
  // Lowercasing lengthens only İ, into an i and a combining dot: a name holding that dot could be
  // the lowercase of a shorter string, which a comparison by position misses.
  for (const name of names) if (name.includes('\u0307')) return () => undefined;
  // The whole and what follows its last dot end where the string does. A name ending beyond ASCII
  // is left out: a string ending in ASCII never lowercases to it, one ending beyond is undefined.
  const byLast: (string[] | undefined)[] = [];
  for (const name of names) {
    const last = name.charCodeAt(name.length - 1);
    if (!(last < 128)) continue; // beyond ASCII, or none: the empty name's
    byLast[last] ??= [];
    byLast[last].push(name);
  }
  const empty = names.has('');
  return (text) => {
    const length = text.length;
    if (length === 0) return empty;
    const last = text.charCodeAt(length - 1);
    if (last === DOT && empty) return true;
    if (last >= 128) return undefined;
    const candidates = byLast[lower(last)];
    if (candidates === undefined) return false;
    for (const name of candidates) {
      const n = name.length;
      // A name shorter than the string is what follows its last dot: no dot in it, one before it.
      if (n > length || (n < length && (text.charCodeAt(length - n - 1) !== DOT || name.includes('.'))))
        continue;
      const same = endsAs(text, name);
      if (same !== false) return same;
    }
    return false;
  };
}

/** Whether `text` ends in `name` but for case; undefined once a character beyond ASCII is met. */
function endsAs(text: string, name: string): boolean | undefined {
  for (let i = 1; i <= name.length; i++) {
    const c = text.charCodeAt(text.length - i);
    if (c >= 128) return undefined;
    // ASCII lowercases within ASCII, never into a name's character beyond it.
    if (lower(c) !== name.charCodeAt(name.length - i)) return false;
  }
  return true;
}

const lower = (c: number): number => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c);

/**
 * Whether a string may be one of `names` (each lowercase), whole or after its last dot, or a
 * credential's name by how it ends: false when its last two characters, ASCII, end none of them,
 * told with one look in a table, before any name is compared. Arrays hold ids, tags and header
 * names by the dozen, and nearly all are told so (an id ending in a digit, `Host`, `Accept`).
 * ASCII lowercases within ASCII, each character on its own: a string ending in two of them,
 * lowercased, ends in theirs. A name shorter than two characters leaves every string possible.
 */
export function createNamePossible(names: ReadonlySet<string>): (text: string) => boolean {
  const pairs = new Uint8Array(128 * 128);
  for (let before = 0x61; before <= 0x7a; before++)
    for (let last = 0x61; last <= 0x7a; last++)
      if (mayEndSecretName(before, last)) pairs[(before << 7) | last] = 1;
  for (const name of names) {
    if (name.length < 2) return () => true;
    const before = name.charCodeAt(name.length - 2);
    const last = name.charCodeAt(name.length - 1);
    // A string ending in ASCII never lowercases to an ending beyond it.
    if (before < 128 && last < 128) pairs[(before << 7) | last] = 1;
  }
  return (text) => {
    const length = text.length;
    if (length < 2) return true;
    const before = text.charCodeAt(length - 2);
    const last = text.charCodeAt(length - 1);
    return before >= 128 || last >= 128 || pairs[(lower(before) << 7) | lower(last)] === 1;
  };
}
