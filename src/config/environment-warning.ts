import { describeValue } from '../diag/errors.js';

/**
 * What to tell the user when the environment has no exporters or profile while the configuration
 * holds some per environment: it runs with the console (or `default`'s), as documented for an
 * environment of its own (test, a preview), but when a source ranked lower names a configured one
 * (`DD_TAGS` env:prod above `NODE_ENV=production`), or the name is a configured one misspelt or cut
 * short (`prodution`, `prod`), that is almost surely not what was meant, and nothing else says so.
 */
export function environmentWarning(
  source: string,
  environment: string,
  sources: readonly [string, string | undefined][],
  configured: readonly string[],
  runs: string,
): string | undefined {
  if (configured.includes(environment)) return undefined;
  const named = configured.filter((name) => name !== 'default');
  // With none given, it is the default: no `environment` option was given to name, and the remedy
  // is choosing the one meant, where nothing did.
  const given = sources.some(([, value]) => value !== undefined);
  const subject = given
    ? `${source} gives the environment ${describeValue(environment)}`
    : `no option or variable gives the environment, so it is ${describeValue(environment)}, the default`;
  const head = `${subject}, which has no exporters or profile of its own: it ${runs}`;
  // The option and SIGHTLINE_ENV choose it for sightline, as this warning tells to: no source ranked
  // lower second-guesses them. NODE_ENV is Node's build mode, production in every deployed build (a
  // preview, a load test): as one, it tells a configured name was meant only when the name is near
  // it; any other value (staging) was set for the deployment, as DD_ENV is.
  const chosen = source === 'environment' || source === 'SIGHTLINE_ENV';
  for (const [other, value] of chosen ? [] : sources) {
    if (value === undefined || value === environment || !named.includes(value)) continue;
    if (other !== 'NODE_ENV' || !BUILD_MODES.has(value) || looksMeant(environment, value))
      return `${head}, while ${other} gives ${describeValue(value)}, which has: set SIGHTLINE_ENV (or the environment option) to the one meant, or key the configuration by ${describeValue(environment)}`;
  }
  const found = nearest(environment, named);
  if (found === undefined) return undefined;
  const [near, how] = found;
  // A short name and its long form are both spelt right: the remedy is choosing one of them.
  const remedy =
    given && how === 'misspelt'
      ? 'check its spelling'
      : 'set SIGHTLINE_ENV (or the environment option) to it';
  const which =
    how === 'misspelt'
      ? ''
      : near.length > environment.length
        ? `, which ${describeValue(environment)} likely stands for`
        : `, likely short for ${describeValue(environment)}`;
  return `${head}, while ${describeValue(near)} has${which}: ${remedy}, or key the configuration by ${describeValue(environment)}`;
}

/**
 * The environment has exporters but no profile of its own, or a profile but no exporters, while the
 * other is keyed by its name misspelt (`profiles.prodution` beside `exporters.production`), or by
 * its short or long form (`profiles.prod` beside `exporters.production`, as NODE_ENV=production
 * gives every deployed build): it runs without what that key holds, and {@link environmentWarning}
 * says nothing, as it has configuration. `profileExporters`: its profile lists the exporters it
 * runs with, which it then has, though under no key of `exporters`.
 */
export function unusedKeyWarning(
  source: string,
  environment: string,
  exporterKeys: readonly string[],
  profileKeys: readonly string[],
  profileExporters: boolean,
): string | undefined {
  const withExporters = exporterKeys.includes(environment);
  if (withExporters === profileKeys.includes(environment)) return undefined;
  const [keys, others] = withExporters ? [profileKeys, exporterKeys] : [exporterKeys, profileKeys];
  const found = nearest(
    environment,
    keys.filter((key) => key !== 'default' && !others.includes(key)),
  );
  if (found === undefined) return undefined;
  const [near, how] = found;
  const [has, lacks, option] = withExporters
    ? ['exporters', 'no profile of its own', 'profiles']
    : profileExporters
      ? ['a profile listing its exporters', `no exporters.${environment}`, 'exporters']
      : ['a profile', 'no exporters of its own', 'exporters'];
  const likeness =
    how === 'misspelt'
      ? 'is near it: check its spelling'
      : `${near.length > environment.length ? 'is likely what it stands for' : 'is likely short for it'}: key both by one name`;
  return `${source} gives the environment ${describeValue(environment)}, which has ${has} but ${lacks}, while ${option}.${near}, which no environment uses, ${likeness}`;
}

/** How a name looks like a configured one: misspelt (or another separator), or a short form of it. */
type Likeness = 'misspelt' | 'short';

/** The first of `names` the environment was likely meant as, and how it looks like it. */
function nearest(environment: string, names: readonly string[]): [string, Likeness] | undefined {
  for (const name of names) {
    const how = looksMeant(environment, name);
    if (how !== undefined) return [name, how];
  }
  return undefined;
}

/**
 * The words environments are commonly named by, each with the name of its family: two of one family
 * (`prd` and `production`, `stg` and `staging`) name the same environment. A short form of these,
 * or `local`, is a name in its own right, so a longer word it begins (`devops`, `testnet`,
 * `prodlike`, `internal`, `locale`, `product`) is another name built on it, not it written out
 * ({@link BUILT_ON}), unless it is its plural (`tests`), which is of its family too.
 */
const FAMILIES = new Map([
  ['prod', 'production'],
  ['prd', 'production'],
  ['production', 'production'],
  ['dev', 'development'],
  ['devel', 'development'],
  ['develop', 'development'],
  ['development', 'development'],
  ['stg', 'staging'],
  ['stage', 'staging'],
  ['staging', 'staging'],
  ['test', 'testing'],
  ['testing', 'testing'],
  ['int', 'integration'],
  ['integ', 'integration'],
  ['integration', 'integration'],
  ['perf', 'performance'],
  ['performance', 'performance'],
  ['local', 'local'],
]);

/**
 * The words of FAMILIES a longer word they begin is another name built on: the short forms, and
 * `local` (`locale`). A long form with a letter after it (`productionn`, `stagingg`) is misspelt.
 */
const BUILT_ON = new Set(
  [...FAMILIES].flatMap(([word, family]) => (word === family ? [] : [word])).concat('local'),
);

/** A word of FAMILIES in its plural (`tests`, `prods`, `productions`) as the word, any other as given. */
const singular = (word: string): string =>
  word.endsWith('s') && FAMILIES.has(word.slice(0, -1)) ? word.slice(0, -1) : word;

/** The values NODE_ENV takes as Node's build mode, whatever the deployment. */
const BUILD_MODES = new Set(['production', 'development', 'test']);

/**
 * Whether a name is another's common short form or long one (`prod`, `stg` beside `staging`, or
 * `production`, as NODE_ENV gives it to every deployed build, beside a configuration keyed by
 * `prod`), misspelt (`prodution`, `stagin`) or cut short keeping most of it (`stag`): in one of its
 * words, the others and its numbers being the same,
 * whatever separates them. A number or a word of its own beside the same (`qa2` beside `qa1`,
 * `staging-2` beside `staging`, `prod-us` beside `prod-eu`) names another environment, as a word of
 * one or two letters does at a letter's change (`ca`, `qa`), and one of three at any change but a
 * swap of two neighbours or its plural (`pre` beside `pro`, `prd` or `prev`).
 */
function looksMeant(name: string, configured: string): Likeness | undefined {
  const a = name.toLowerCase();
  const b = configured.toLowerCase();
  // The same letters and numbers, another separator between them or none (`prod_eu`, `staging2`,
  // `preprod` beside `pre-prod`): words run together are words no separator tells apart.
  if (a.replace(SEPARATORS, '') === b.replace(SEPARATORS, '')) return 'misspelt';
  if (skeleton(a) !== skeleton(b)) return undefined;
  const wordsOfA = a.match(WORDS) ?? [];
  const wordsOfB = b.match(WORDS) ?? [];
  const differ = wordsOfA.flatMap((word, i) => (word === wordsOfB[i] ? [] : [i]));
  if (differ.length !== 1) return undefined;
  const x = wordsOfA[differ[0] as number] as string;
  const y = wordsOfB[differ[0] as number] as string;
  // A plural is of its word's family (`tests` beside `testing`); a word beside its own plural is
  // misspelt, as below.
  const family = FAMILIES.get(singular(x));
  if (family !== undefined && family === FAMILIES.get(singular(y)) && singular(x) !== singular(y))
    return 'short';
  const [short, long] = x.length <= y.length ? [x, y] : [y, x];
  if (short.length <= 2) return undefined;
  // Three letters are the short form environments are commonly named by (`des`, `pre`, `pro`,
  // `uat`), where a letter changed or added makes another one (`prd`, `prev`, `sat`, `div`): only
  // its plural or its letters with two neighbours swapped (`dve`) are it.
  if (short.length === 3) return long === `${short}s` || swapped(x, y) ? 'misspelt' : undefined;
  const max = short.length >= 5 ? 2 : 1;
  if (!long.startsWith(short)) return editDistance(x, y, max) === undefined ? undefined : 'misspelt';
  // A cut of a word is the word when it keeps most of it (`stag` of `staging`); half of it or less
  // (`can` of `canary`, `perf` of `perftest`) is as likely a name of its own.
  // Its plural (`tests`, `locals`) is the same name, written another way.
  if (BUILT_ON.has(short) && singular(long) !== short) return undefined;
  if (editDistance(x, y, max) !== undefined) return 'misspelt';
  return short.length * 2 > long.length ? 'short' : undefined;
}

/** Whether two words are the same but for two neighbouring letters swapped. */
function swapped(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const i = [...a].findIndex((letter, at) => letter !== b[at]);
  return i >= 0 && a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
}

/** The words of a lower-cased environment name, each as a run of letters: `prod-eu-1` holds two. */
const WORDS = /[a-z]+/g;

/**
 * A lower-cased environment name's words, each as one mark, and its numbers as written, without the
 * ASCII separators between them: `prod-eu-1`, `prod_eu.1` and `prod-eu1` are all `\0\01`.
 */
const skeleton = (name: string): string => name.replace(WORDS, '\0').replace(SEPARATORS, '');

/**
 * What separates the words and numbers of a lower-cased environment name: an ASCII character other
 * than a letter or digit (`-`, `_`, `.`); the word marks a skeleton holds are no separator.
 */
const SEPARATORS = /[^\0a-z\d\u0080-\uffff]/g;

/** Levenshtein's distance, a swap of two neighbours counting one, if it is at most `max`. */
export function editDistance(a: string, b: string, max: number): number | undefined {
  if (Math.abs(a.length - b.length) > max) return undefined;
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(
        (previous[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, (before[j - 2] as number) + 1);
      row.push(d);
    }
    before = previous;
    previous = row;
  }
  const distance = previous[b.length] as number;
  return distance <= max ? distance : undefined;
}
