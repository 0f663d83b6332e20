/**
 * Endings that name a credential whatever comes before them (`session_token`, `x-auth-token`,
 * `idToken`, `csrftoken`, `clientSecret`, `db_password`, `mysql_pwd`): no word a field is named
 * after ends so. A word that only starts with one of them (`tokens_used`, `token_count`,
 * `secretName`) is not such a name: LLM usage counts and ids stay readable.
 */
const ENDINGS = [
  'token',
  'secret',
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'credential',
  'credentials',
  'authorization',
  'jwt',
  'cookie',
  'cookies',
];

/**
 * Endings that name a credential as a word of their own, after `_`, `-`, `.` or a lowercase letter
 * or digit (`DB_PASS`, `smtpPass`, nodemailer's `pass`), and not as the end of a longer word
 * (`bypass`, `compass`).
 */
const WORD_ENDINGS = ['pass'];

/**
 * What a key named `<kind>key`, `<kind>_key`, `<kind>-key` or `<kind>Key` is for when it is a
 * credential (`x-goog-api-key`, `DD_APP_KEY`, `aws_secret_access_key`, `privateKey`,
 * `NEW_RELIC_LICENSE_KEY`). Keys of data (`cache_key`, `primary_key`, `idempotency_key`,
 * `public_key`) are not: `key` alone names no credential.
 */
const KEY_KINDS = [
  'api',
  'app',
  'application',
  'private',
  'secret',
  'access',
  'account',
  'license',
  'licence',
  'signing',
  'encryption',
  'master',
  'session',
  'hmac',
  'sdk',
  'ingest',
  'insert',
  'subscription',
  'functions',
];

/**
 * Whether a field, header or query parameter name names a credential by how it ends, whatever its
 * case or separators (`_`, `-`, camelCase), told without allocating: most names (ids, counts)
 * differ in their last character. Characters beyond ASCII never match.
 */
export function isSecretName(name: string): boolean {
  const length = name.length;
  for (const ending of ENDINGS) if (endsWith(name, length, ending)) return true;
  for (const ending of WORD_ENDINGS)
    if (endsWith(name, length, ending) && startsWord(name, length - ending.length)) return true;
  const key = length - 3;
  if (key < 1 || !endsWith(name, length, 'key')) return false;
  const before = name.charCodeAt(key - 1);
  const kindEnd = before === UNDERSCORE || before === HYPHEN ? key - 1 : key;
  for (const kind of KEY_KINDS) if (endsWith(name, kindEnd, kind)) return true;
  return false;
}

const UNDERSCORE = 0x5f;
const HYPHEN = 0x2d;
const DOT = 0x2e;

/** Whether a word starts at `at`: the name's start, after a separator, or camelCase's capital. */
function startsWord(text: string, at: number): boolean {
  if (at === 0) return true;
  const before = text.charCodeAt(at - 1);
  if (before === UNDERSCORE || before === HYPHEN || before === DOT) return true;
  const first = text.charCodeAt(at);
  const lowerOrDigit = (before >= 0x61 && before <= 0x7a) || (before >= 0x30 && before <= 0x39);
  return first >= 0x41 && first <= 0x5a && lowerOrDigit;
}

/** Whether `text` up to `end` ends in `word` (lowercase ASCII), but for case. */
function endsWith(text: string, end: number, word: string): boolean {
  const n = word.length;
  if (end < n) return false;
  for (let i = 1; i <= n; i++) {
    const c = text.charCodeAt(end - i);
    if ((c >= 0x41 && c <= 0x5a ? c + 0x20 : c) !== word.charCodeAt(n - i)) return false;
  }
  return true;
}
