/**
 * Endings that name a credential whatever comes before them (`session_token`, `x-auth-token`,
 * `idToken`, `csrftoken`, `clientSecret`, `signedCookies`, csurf's `_csrf`, Tornado's `_xsrf`): no
 * word a field is named after ends so. A word that only starts with one of them (`tokens_used`,
 * `token_count`, `secretName`) is not such a name: LLM usage counts and ids stay readable.
 */
const ENDINGS = [
  'token',
  'secret',
  'passphrase',
  'credential',
  'credentials',
  'authorization',
  'jwt',
  'cookie',
  'cookies',
  'csrf',
  'xsrf',
];

/** A password's names, as the endings above (`db_password`, `mysql_pwd`). */
const PASSWORD_ENDINGS = ['password', 'passwd', 'pwd'];

/**
 * What follows a password's name when the value is its hash (`passwordHash`, Rails' and
 * `has_secure_password`'s `password_digest`): a hash of a password is cracked offline, as a hash
 * of a random token is not, so only a password's is hidden (`content_hash`, `file_digest` stay).
 */
const HASHES = ['hash', 'digest'];

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
 * A session's id is the session to whoever holds it (OWASP: never logged as it is), whatever is
 * before it or joins it (`x_session_id`, `userSessionId`); OpenTelemetry's `session.id`, a
 * front-end session's correlation id, is not: a dot joins no word of one name. Nor is the id of a
 * word that ends in `session` (`possessionId`, `obsession_id`).
 */
const SESSION_ID = 'id';

/**
 * Whether a field, header or query parameter name names a credential by how it ends, whatever its
 * case or separators (`_`, `-`, camelCase), told without allocating: most names (ids, counts)
 * differ in their last character. Characters beyond ASCII never match.
 */
export function isSecretName(name: string): boolean {
  const length = name.length;
  if (length < 3) return false;
  const last = name.charCodeAt(length - 1) | 0x20;
  const before = name.charCodeAt(length - 2) | 0x20;
  if (last >= 128 || before >= 128 || LAST_PAIRS[(before << 7) | last] !== 1) return false;
  for (const ending of ENDINGS)
    if (endsWith(name, length, ending)) return !(ending === 'credentials' && allowsCredentials(name, length));
  if (endsAsPassword(name, length)) return true;
  for (const hash of HASHES)
    if (endsWith(name, length, hash) && endsAsPassword(name, beforeSeparator(name, length - hash.length)))
      return true;
  if (endsWith(name, length, SESSION_ID)) {
    const session = beforeSeparator(name, length - SESSION_ID.length);
    const word = session - 'session'.length;
    return (
      endsWith(name, session, 'session') && (startsWord(name, word) || !isWordEndingInSession(name, word))
    );
  }
  const key = length - 3;
  if (key < 1 || !endsWith(name, length, 'key')) return false;
  const kindEnd = beforeSeparator(name, key);
  for (const kind of KEY_KINDS) if (endsWith(name, kindEnd, kind)) return true;
  return false;
}

/**
 * Endings that name what a credential protects, not the credential: a name ending so is as often a
 * setting's (`disable_csrf`, `use_cookies`, `max_cookies`) as a token's or a cookie's, and neither a
 * CSRF token nor a cookie's value is ever a number or a truth value.
 */
const PROTECTED = ['csrf', 'xsrf', 'cookie', 'cookies'];

/**
 * Whether a value under a name to hide holds no secret: a flag (`hasPassword: false`), which tells
 * only whether there is one; or, under a name that ends as what a credential protects does
 * ({@link PROTECTED}), a number or a truth value written as text, as environment variables and
 * forms give one (`DISABLE_CSRF=true`). A password or a token may be digits alone, and is hidden.
 */
export function holdsNoSecret(name: string, value: unknown): boolean {
  if (typeof value === 'boolean') return true;
  if (typeof value !== 'number' && !(typeof value === 'string' && TRUTH_TEXT.test(value))) return false;
  return namesProtected(name);
}

const TRUTH_TEXT = /^(?:true|false)$/i;

/**
 * {@link holdsNoSecret} for a value read out of text, a query's or a form's, where a number is text
 * too (`?disable_csrf=true&max_cookies=20`).
 */
export function textHoldsNoSecret(name: string, text: string): boolean {
  return SETTING_TEXT.test(text) && namesProtected(name);
}

const SETTING_TEXT = /^(?:true|false|\d+)$/i;

/** Whether a name ends as what a credential protects does ({@link PROTECTED}). */
function namesProtected(name: string): boolean {
  for (const ending of PROTECTED) if (endsWith(name, name.length, ending)) return true;
  return false;
}

/**
 * Whether a name ending in `credentials` is CORS's `Access-Control-Allow-Credentials`, or a CORS
 * configuration's `allowCredentials`: its value is only ever `true`, a flag that holds no secret.
 */
function allowsCredentials(name: string, length: number): boolean {
  return endsWith(name, beforeSeparator(name, length - 'credentials'.length), 'allow');
}

/**
 * Whether `name` up to `end` ends in a password's name; `pass` as a word of its own (`DB_PASS`,
 * `smtpPass`, nodemailer's `pass`), not as the end of a longer word (`bypass`, `compass`).
 */
function endsAsPassword(name: string, end: number): boolean {
  for (const ending of PASSWORD_ENDINGS) if (endsWith(name, end, ending)) return true;
  return endsWith(name, end, 'pass') && startsWord(name, end - 4);
}

/**
 * Whether the letters before `session` at `end` make a word of it (possession, obsession): a name
 * all lowercase, a header's, tells no word from the next, so the words themselves are told.
 */
const isWordEndingInSession = (name: string, end: number): boolean =>
  endsWith(name, end, 'pos') || endsWith(name, end, 'ob');

/** Where the word before `end` ends: before the `_` or `-` that joins it to the next, if any. */
function beforeSeparator(name: string, end: number): number {
  const before = name.charCodeAt(end - 1);
  return before === UNDERSCORE || before === HYPHEN ? end - 1 : end;
}

/**
 * The two letters a name of a credential ends in, lowercase: most names (ids, header names such as
 * `Host` or `Accept`, which arrays of headers hold by the dozen) are told apart by theirs.
 */
const LAST_PAIRS = new Uint8Array(128 * 128);
for (const word of [...ENDINGS, ...PASSWORD_ENDINGS, 'pass', ...HASHES, 'key', SESSION_ID])
  LAST_PAIRS[(word.charCodeAt(word.length - 2) << 7) | word.charCodeAt(word.length - 1)] = 1;

/**
 * Whether a name ending in these two characters, lowercase ASCII letters, may name a credential by
 * how it ends; never one ending in any other.
 */
export const mayEndSecretName = (before: number, last: number): boolean =>
  LAST_PAIRS[(before << 7) | last] === 1;

/**
 * Whether a name in text ending at `end` may name a credential by how it ends, told without
 * cutting it out: {@link mayEndSecretName}'s look, and for a name ending in `key` or `id`, as most
 * names of data do (`cache_key`, `user_id`, `request_id`), whether the word before it is `session`,
 * or ends as one of {@link KEY_KINDS} does, as {@link isSecretName} asks of those.
 */
export function mayEndSecretNameAt(text: string, end: number): boolean {
  const before = text.charCodeAt(end - 2) | 0x20;
  const last = text.charCodeAt(end - 1) | 0x20;
  if (before >= 128 || last >= 128 || LAST_PAIRS[(before << 7) | last] !== 1) return false;
  if (last === 0x64 && before === 0x69) return endsWith(text, beforeSeparator(text, end - 2), 'session');
  if (last !== 0x79 || before !== 0x65 || (text.charCodeAt(end - 3) | 0x20) !== 0x6b) return true;
  const kindEnd = beforeSeparator(text, end - 3);
  const kindBefore = text.charCodeAt(kindEnd - 2) | 0x20;
  const kindLast = text.charCodeAt(kindEnd - 1) | 0x20;
  return kindBefore < 128 && kindLast < 128 && KIND_PAIRS[(kindBefore << 7) | kindLast] === 1;
}

/** The two last letters of each of {@link KEY_KINDS}: a look at them turns most keys of data away. */
const KIND_PAIRS = new Uint8Array(128 * 128);
for (const kind of KEY_KINDS)
  KIND_PAIRS[(kind.charCodeAt(kind.length - 2) << 7) | kind.charCodeAt(kind.length - 1)] = 1;

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

/**
 * A judge of names, a field's, a header's or a key's, that may be given names beyond the built-in
 * ones (`redact: ['X-Partner-Signature']`): `headerEndings` then tells the two last characters of
 * those written as a header's name is, as {@link mayEndSecretName} does the built-in ones', and
 * `nameEndings` those of all of them (`ssn`, `card_number`), for a value assigned to one in text.
 */
export interface NameJudge {
  (name: string): boolean;
  readonly headerEndings?: Uint8Array;
  readonly nameEndings?: Uint8Array;
}

const HEADER_NAME = /^[a-z][a-z\d]*(?:-[a-z\d]+)+$/;

/**
 * The table of the two last characters, lowercase, of the names given written as a header's, with a
 * `-` (`x-partner-signature`); none when no name is.
 */
export function headerEndingsOf(names: readonly string[]): Uint8Array | undefined {
  let table: Uint8Array | undefined;
  for (const given of names) {
    const name = given.toLowerCase();
    if (!HEADER_NAME.test(name)) continue;
    table ??= new Uint8Array(128 * 128);
    table[(name.charCodeAt(name.length - 2) << 7) | name.charCodeAt(name.length - 1)] = 1;
  }
  return table;
}

/**
 * The table of the two last characters of the names given, lowercase as text is read for them
 * (each one's code with 0x20 set); none when no name is given.
 */
export function nameEndingsOf(names: readonly string[]): Uint8Array | undefined {
  let table: Uint8Array | undefined;
  for (const name of names) {
    if (name.length < 2) continue;
    const before = name.charCodeAt(name.length - 2) | 0x20;
    const last = name.charCodeAt(name.length - 1) | 0x20;
    if (before >= 128 || last >= 128) continue;
    table ??= new Uint8Array(128 * 128);
    table[(before << 7) | last] = 1;
  }
  return table;
}
