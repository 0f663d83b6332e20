import { cutText } from '../internal/cut-text.js';
import {
  holdsNoSecret,
  isSecretName,
  mayEndSecretName,
  mayEndSecretNameAt,
  type NameJudge,
  textHoldsNoSecret,
} from './secret-names.js';

/**
 * Query parameters that sign a URL (S3, Azure, Google Cloud Storage): the OpenTelemetry semantic
 * conventions hide their values in `url.query` and `url.full`, and so do logged URLs. S3's presigned
 * URLs are signed as SigV4 signs them (`X-Amz-Signature`), as the SDKs make them today: SigV2's
 * `Signature` alone left their signature, and the download it grants, in the clear.
 */
const SIGNATURE_PARAMS = new Set([
  'awsaccesskeyid',
  'signature',
  'sig',
  'x-amz-signature',
  'x-goog-signature',
]);

/**
 * Where a parameter may start: after `&`, or after `?` within the query too, since a URL given as a
 * value unencoded (`next=https://b/cb?access_token=...`) brings a query of its own; after `#`, as
 * the OAuth implicit flow gives the token in the fragment (`#access_token=...&token_type=bearer`)
 * and single-page apps route by it (`#/cb?token=...`); after `;`, as servlet containers give the
 * session in the path (`/cart;jsessionid=...`); and after any of them percent-encoded, once or more,
 * as a URL given as a value encoded (`redirect_uri=https%3A%2F%2Fb%2Fcb%3Ftoken%3D...`, or that
 * encoded again) holds them.
 */
const PARAM_START = /[?&#;]|%(?:25)*(?:3[fFbB]|2[36])/g;

/** {@link PARAM_START} in a URL that holds nothing encoded. */
const RAW_PARAM_START = /[?&#;]/g;

/**
 * Where a URL's parameters may start: its path parameters, query, fragment, a `&` written for the
 * `?` (`/cb&token=...`), or something encoded, which may be a URL given in the path.
 */
const MAY_START_PARAMS = /[?#&;%]/;

const PERCENT = 0x25;
const SEMICOLON = 0x3b;

const QUERY_OR_FRAGMENT = /[?#]/;

/** What ends a path parameter's value (`;jsessionid=...`): its segment, the path. */
const PATH_PARAM_END = /[/;?#]/g;

/** `=` percent-encoded, once or more, as a URL given as a value encoded holds it. */
const ENCODED_EQUALS = /%(?:25)*3[dD]/g;

/**
 * The URL with the value of each query or fragment parameter named in the redaction list, or
 * signing it, replaced by `[Redacted]` (`/login?token=[Redacted]&next=/`), those of a URL given as a
 * value included; the same string, with nothing allocated but the names looked up, when there is
 * nothing to hide. A value hidden runs to the next `&`, past a `#` too: a secret in a URL given
 * encoded as a value is hidden with the rest of that value, and one written with a `#` of its own,
 * unencoded, is not cut short.
 */
export function redactQuery(url: string, isSensitive: (key: string) => boolean): string {
  // Most URLs have no query, or one of `&`-separated parameters alone: a few looks tell them.
  const question = url.indexOf('?');
  if (
    question !== -1 &&
    url.indexOf('#') === -1 &&
    url.indexOf('%') === -1 &&
    url.indexOf(';') === -1 &&
    url.lastIndexOf('&', question) === -1
  ) {
    if (url.indexOf('?', question + 1) === -1) return redactPlainQuery(url, question, isSensitive);
    return redactParams(url, question, isSensitive);
  }
  const start = url.search(MAY_START_PARAMS);
  if (start === -1) return url;
  const clean = redactParams(url, start, isSensitive);
  return clean.indexOf('%', start) === -1 ? clean : withoutEncodedCredentials(clean, start);
}

/** `://` percent-encoded, once or more, as a URL given as a value encoded holds it. */
const ENCODED_SCHEME_END = /%(?:25)*3a%(?:25)*2f%(?:25)*2f/gi;

/**
 * What ends the authority of a URL given encoded: its path, query or fragment, encoded as it is, or
 * the value it is given in.
 */
const ENCODED_AUTHORITY_END = /%(?:25)*(?:2f|3f|23)|[&/?#\s"'<>`]/gi;

/** `@` percent-encoded, once or more. */
const ENCODED_AT = /%(?:25)*40/g;

/** Where the next `@` encoded is from `from`; the text's length when there is none. */
function nextEncodedAt(url: string, from: number): number {
  ENCODED_AT.lastIndex = from;
  return ENCODED_AT.exec(url)?.index ?? url.length;
}

/** `:` percent-encoded, once or more. */
const ENCODED_COLON = /%(?:25)*3a/i;

/**
 * The URL with the user name and password of each URL given in it percent-encoded, from `from` on
 * (`?next=https%3A%2F%2Fada%3A...%40app.example`), as `[Redacted]`, as {@link withoutCredentials}
 * writes those of one given as it is; the `:` and `@` are kept as they are written. Each character
 * is read a bounded number of times, however many URLs it holds.
 */
function withoutEncodedCredentials(url: string, from: number): string {
  let out = '';
  let done = 0;
  // The next `@`, looked for again only once passed; the text's length when none is left.
  let nextAt = -1;
  ENCODED_SCHEME_END.lastIndex = from;
  for (let scheme = ENCODED_SCHEME_END.exec(url); scheme !== null; scheme = ENCODED_SCHEME_END.exec(url)) {
    const start = ENCODED_SCHEME_END.lastIndex;
    ENCODED_AUTHORITY_END.lastIndex = start;
    const end = ENCODED_AUTHORITY_END.exec(url)?.index ?? url.length;
    ENCODED_SCHEME_END.lastIndex = end;
    if (nextAt < start) nextAt = nextEncodedAt(url, start);
    if (nextAt >= end) continue;
    let at = nextAt;
    for (nextAt = nextEncodedAt(url, at + 1); nextAt < end; nextAt = nextEncodedAt(url, at + 1)) at = nextAt;
    const colon = ENCODED_COLON.exec(url.slice(start, at));
    out += `${url.slice(done, start)}[Redacted]${colon === null ? '' : `${colon[0]}[Redacted]`}`;
    done = at;
  }
  return done === 0 ? url : out + url.slice(done);
}

/**
 * {@link redactQuery} for a query that holds nothing encoded, no URL and no fragment, as most do:
 * its parameters are read at each `&`, and no further once no `=` is left.
 */
function redactPlainQuery(url: string, start: number, isSensitive: (key: string) => boolean): string {
  let out = '';
  let done = 0;
  let eq = start;
  for (let from = start + 1; from < url.length; ) {
    let amp = url.indexOf('&', from);
    if (amp === -1) amp = url.length;
    if (eq < from) eq = url.indexOf('=', from);
    if (eq === -1) break;
    if (eq < amp && hides(url.slice(from, eq), isSensitive) && !isSetting(url, from, eq, eq + 1, amp)) {
      out += `${url.slice(done, eq + 1)}[Redacted]`;
      done = amp;
    }
    from = amp + 1;
  }
  return done === 0 ? url : out + url.slice(done);
}

/** {@link redactQuery} for parameters from `start` on, wherever they may start or a value end. */
function redactParams(url: string, start: number, isSensitive: (key: string) => boolean): string {
  // Most URLs hold nothing encoded: theirs is read without a look for it.
  const encoded = url.indexOf('%', start) !== -1;
  let from = start + 1;
  if (url.charCodeAt(start) === PERCENT) {
    // A URL given encoded in the path (`/r/https%3A%2F%2Fb%2Fcb%3Ftoken%3D...`) holds a query too.
    PARAM_START.lastIndex = start;
    const found = PARAM_START.exec(url);
    if (found === null) return url;
    from = PARAM_START.lastIndex;
  }
  const end = url.length;
  const starts = encoded ? PARAM_START : RAW_PARAM_START;
  const query = url.search(QUERY_OR_FRAGMENT);
  const pathEnd = query === -1 ? end : query;
  // The next `=`, and the next one encoded, each looked for again only once passed, and no more
  // once none is left: a look from each parameter to the end would make a long URL of parameters
  // without a value cost the square of its length.
  let equals = from - 1;
  let encodedEquals = encoded ? from - 1 : -1;
  let encodedEqualsLength = 0;
  // The URL as written up to `done`, its secret values replaced.
  let out = '';
  let done = 0;
  while (from < end) {
    starts.lastIndex = from;
    const found = starts.exec(url);
    const stop = found === null ? end : found.index;
    let next = found === null ? end : starts.lastIndex;
    if (equals !== -1 && equals < from) equals = url.indexOf('=', from);
    let eq = equals === -1 || equals > stop ? stop : equals;
    let eqLength = 1;
    if (encodedEquals !== -1 && encodedEquals < from) {
      ENCODED_EQUALS.lastIndex = from;
      const encodedEq = ENCODED_EQUALS.exec(url);
      encodedEquals = encodedEq === null ? -1 : encodedEq.index;
      encodedEqualsLength = encodedEq === null ? 0 : encodedEq[0].length;
    }
    if (encodedEquals !== -1 && encodedEquals < eq) {
      eq = encodedEquals;
      eqLength = encodedEqualsLength;
    }
    if (eq < stop && hides(url.slice(from, eq), isSensitive)) {
      let valueEnd: number;
      if (url.charCodeAt(from - 1) === SEMICOLON && from < pathEnd) {
        // A path parameter's value ends with its segment, before the query.
        PATH_PARAM_END.lastIndex = eq;
        valueEnd = PATH_PARAM_END.exec(url)?.index ?? end;
      } else {
        // Past a `#` too, and to the end of a URL given encoded as a value.
        valueEnd = url.indexOf('&', eq);
        if (valueEnd === -1) valueEnd = end;
      }
      if (!isSetting(url, from, eq, eq + eqLength, valueEnd)) {
        out += `${url.slice(done, eq + eqLength)}[Redacted]`;
        done = valueEnd;
        next = valueEnd + 1;
      }
    }
    from = next;
  }
  return done === 0 ? url : out + url.slice(done);
}

/**
 * Whether the parameter from `from` to its value's `end`, hidden by its name, is a setting's
 * (`?disable_csrf=true`, `max_cookies=20`), kept as it is in a field ({@link textHoldsNoSecret}).
 * Read only once the name hides it: most parameters are never looked at so.
 */
function isSetting(url: string, from: number, eq: number, value: number, end: number): boolean {
  return (
    end - value <= 16 && textHoldsNoSecret(ownName(decodeName(url.slice(from, eq))), url.slice(value, end))
  );
}

/** Whether the value of a parameter of this name, as written, is hidden. */
function hides(written: string, isSensitive: (key: string) => boolean): boolean {
  const name = ownName(decodeName(written));
  return isSensitive(name) || SIGNATURE_PARAMS.has(name.toLowerCase());
}

/**
 * A parameter name as the server reads it (`api%5Fkey` is `api_key`), or as a URL given as a value
 * is read once decoded (`api%255Fkey`); as written if malformed.
 */
function decodeName(name: string): string {
  let decoded = name;
  for (let round = 0; round < 3 && (decoded.includes('%') || decoded.includes('+')); round++) {
    try {
      decoded = decodeURIComponent(decoded.replaceAll('+', ' '));
    } catch {
      return decoded;
    }
  }
  return decoded;
}

/**
 * A nested form field's own name, as qs (Express's query parser) and PHP read one:
 * `user[password]` is `password`, `token[]` is `token`; any other name as it is.
 */
function ownName(name: string): string {
  let end = name.length;
  while (end > 0 && name.charCodeAt(end - 1) === CLOSING_BRACKET) {
    const open = name.lastIndexOf('[', end - 1);
    if (open <= 0) break;
    if (open < end - 2) return name.slice(open + 1, end - 1);
    end = open;
  }
  return end === name.length ? name : name.slice(0, end);
}

const CLOSING_BRACKET = 0x5d;

/**
 * What a URL without credentials or a query holds its secrets after: a fragment, path parameters, or
 * a URL encoded in it.
 */
const MAY_HOLD_SECRETS = /[#&;%]/g;

/**
 * A URL in text: a scheme, `://`, and all that follows up to a space, a quote or a bracket. The
 * scheme is read to 64 characters at most, longer than any in use: unbounded, it was read from each
 * letter of a long word to the word's end, in time that grew with the square of its length (200 KB of
 * letters in a line holding a `://` took some 20 s).
 */
const URL_IN_TEXT = /[a-z][a-z\d+.-]{0,63}:\/\/[^\s"'<>`]+/gi;

/**
 * The text with each URL in it written as {@link redactQuery} writes it, its user name and password,
 * if any, as `[Redacted]` too; the same string when there is nothing to hide. HTTP clients' errors
 * quote the URL they were given (`fetch` refusing one with credentials, got the one whose response
 * it refused), and so do the messages made from them. A path or a host written without a scheme
 * (`GET /login?token=... -> 401`) has its query read too, and a URL given percent-encoded, its
 * credentials. A JSON Web Token is hidden wherever it is ({@link JSON_WEB_TOKEN}). Every line's
 * message is read, and every string of an array (ids, tags, header values by the dozen): text
 * without `=`, `:`, `%` and `J` costs four looks for a character, cheaper than for `://`, and no
 * call further; with `://` but without `@`, `?`, `#`, `&`, `;` or `%` after it, where a URL keeps its
 * secrets, a few more.
 */
export function redactUrlsIn(text: string, isSensitive: (key: string) => boolean): string {
  // A URL with a scheme holds a `:`; a path or host hides a parameter's value only after an `=`.
  if (text.indexOf('=') !== -1 || text.indexOf(':') !== -1) {
    const clean = redactUrlsInText(text, isSensitive);
    // The text read for brackets is the line as given, secrets and all, and may be megabytes long:
    // kept until the next line with a bracket to count, it outlived the line in the heap.
    opensOf = '';
    return withoutTokens(clean);
  }
  return withoutTokens(text.indexOf('%') === -1 ? text : withoutEncodedCredentials(text, 0));
}

/**
 * A JSON Web Token, wherever it is: its header, base64url JSON (`eyJ`, as `{"` and a letter are
 * written), at a word's start or after a character percent-encoded (`?next=%2Freset%2FeyJ...`);
 * then a signed token's payload, JSON too, and its signature, empty if unsigned (`alg: none`); or
 * an encrypted token's four parts, its key's empty where it is agreed directly. A token is the
 * credential whatever holds it: a path (`/reset/eyJ...`), prose, a bearer's value. Base64 JSON alone
 * (a page's cursor) or followed by other words (`.v2.tar`) is no token. A token is looked for only
 * where a word starts, never within one (`eyJeyJ...`): each part is read once from each such start,
 * in time linear in the text. A line break or tab escaped in JSON text starts one too
 * (`"refused:\neyJ..."`, a multi-line text given to `JSON.stringify`), its letter no word's. Its
 * dots, and the character before it, may be percent-encoded, once or more, as a token in a URL
 * given as a value is written (`?next=%2Freset%2FeyJ...%2EeyJ...%2E...`, `%252F` encoded twice).
 */
const JSON_WEB_TOKEN =
  /(?:(?<![\w-])|(?<=%(?:25)*[\dA-Fa-f]{2}|\\[nrt]))eyJ[\w-]{8,}(?:\.|%(?:25)*2[eE])(?:ey[I-L][\w-]*(?:\.|%(?:25)*2[eE])[\w-]*|[\w-]*(?:\.|%(?:25)*2[eE])[\w-]+(?:\.|%(?:25)*2[eE])[\w-]+(?:\.|%(?:25)*2[eE])[\w-]+)/g;

/** The text with each JSON Web Token in it as `[Redacted]`. */
function withoutTokens(text: string): string {
  return mayHoldToken(text) ? text.replace(JSON_WEB_TOKEN, REDACTED) : text;
}

/**
 * Whether the text holds `eyJ`, where a JSON Web Token starts: a look for a `J` and one at the two
 * characters before each. A look for `eyJ` itself took four times as long (36 ns against 8 for a
 * line of 60 characters).
 */
export function mayHoldToken(text: string): boolean {
  for (let j = text.indexOf('J', 2); j !== -1; j = text.indexOf('J', j + 1))
    if (text.charCodeAt(j - 1) === 0x79 && text.charCodeAt(j - 2) === 0x65) return true;
  return false;
}

/**
 * The text with the user name and password of each URL given percent-encoded in it hidden, as
 * {@link withoutEncodedCredentials} hides them: one quoted in prose, in a path or alone
 * (`fetch failed for https%3A%2F%2Fada%3A...%40host%2Fx`), holds no `:`, `=` or query that would
 * lead to it. Text without a `%` costs a look.
 */
function withoutEncodedCredentialsIn(text: string): string {
  return text.indexOf('%') === -1 ? text : withoutEncodedCredentials(text, 0);
}

/** {@link redactUrlsIn} for text that holds an `=` or a `:`. */
function redactUrlsInText(text: string, isSensitive: (key: string) => boolean): string {
  const first = text.indexOf('://');
  if (first === -1) return redactPathsIn(text, isSensitive);
  if (text.indexOf('?', first) === -1 && text.indexOf('@', first) === -1) {
    MAY_HOLD_SECRETS.lastIndex = first;
    if (!MAY_HOLD_SECRETS.test(text)) return redactPathsIn(text, isSensitive);
  }
  // The text as written up to `done`, its URLs' secrets replaced.
  let out = '';
  let done = 0;
  // The next space, kept for the URLs of a word without one.
  let space = -1;
  URL_IN_TEXT.lastIndex = 0;
  for (let found = URL_IN_TEXT.exec(text); found !== null; found = URL_IN_TEXT.exec(text)) {
    let url = found[0];
    let clean = redactQuery(withoutCredentials(url), isSensitive);
    if (clean.endsWith(REDACTED)) {
      const close = closedEnd(text, found.index, found.index + url.length);
      if (close !== -1) {
        const shorter = redactQuery(withoutCredentials(url.slice(0, close - found.index)), isSensitive);
        if (shorter.endsWith(REDACTED)) {
          url = url.slice(0, close - found.index);
          clean = shorter;
          URL_IN_TEXT.lastIndex = close;
        }
      }
    }
    const after = found.index + url.length;
    // A quote or bracket ends a URL in text, but a secret may hold one unencoded: one that ran to
    // it (`?token=ab"cd`), or a password cut before its `@` (`redis://:pa'ss@host`), runs on to the
    // next space, as hiding the rest of the word is the safer loss. One that closes the quote the
    // URL was opened with, followed by what follows a quoted word (`"https://a/cb?token=x",`),
    // ends it: JSON and HTML hold no space, and the rest of them would go with it.
    const ranOn = clean.endsWith(REDACTED);
    if (QUOTE_OR_BRACKET.has(text.charCodeAt(after)) && (ranOn || !HAS_PATH.test(url))) {
      if (space < after) {
        SPACE.lastIndex = after;
        space = SPACE.exec(text)?.index ?? text.length;
      }
      const end = endOfWord(text, after, space);
      if (!closesQuote(text, found.index, after, ranOn ? after : end)) {
        url = text.slice(found.index, end);
        const longer = redactQuery(withoutCredentials(url), isSensitive);
        if (longer !== url) clean = longer;
        else url = found[0];
        URL_IN_TEXT.lastIndex = found.index + url.length;
      }
    }
    if (clean === url) continue;
    out += text.slice(done, found.index) + clean;
    done = found.index + url.length;
  }
  return redactPathsIn(done === 0 ? text : out + text.slice(done), isSensitive);
}

/**
 * The text with the secrets of its queries, path parameters and cookie strings hidden
 * ({@link redactParamsIn}), and the value of the pair after a `Cookie` or `Set-Cookie` header's
 * name ({@link hideHeaderCookie}); and the credentials of a URL given percent-encoded in it
 * ({@link withoutEncodedCredentialsIn}). Text without an `=` or `%` costs two looks.
 */
function redactPathsIn(text: string, isSensitive: (key: string) => boolean): string {
  let clean = text;
  if (text.indexOf('=') !== -1) {
    clean = redactParamsIn(text, isSensitive);
    if (clean.indexOf('&') !== -1) clean = redactFormsIn(clean, isSensitive);
    clean = hideHeaderCookie(clean, isSensitive);
    clean = hideAssignedValues(clean, isSensitive);
  }
  // What util.inspect writes of a Map (`Map(1) { 'authorization' => '...' }`) holds an `=`, not a `:`.
  if (text.indexOf('=') !== -1 && clean.indexOf(MAP_FORM.separator) !== -1)
    clean = hideQuotedValues(clean, isSensitive, MAP_FORM);
  const colon = clean.indexOf(':');
  return withoutEncodedCredentialsIn(colon === -1 ? clean : hideKeyedValues(clean, colon, isSensitive));
}

/**
 * The text with the value assigned to each name to hide, as logfmt writes a field, a shell or an
 * environment's dump a variable and a command line a flag (`api_key="[Redacted]" level=info`,
 * `AWS_SECRET_ACCESS_KEY=[Redacted]`, `--password=[Redacted]`), written as `[Redacted]`: a quoted
 * value to its closing quote, any other to its word's end (a bracket closing one opened before it
 * kept, as in prose). The name starts a word: one after a `?`, `&` or `;` is a query's or a cookie's,
 * read as such already. A flag, `null` and a setting's number are kept, as in a field. Only a name
 * that ends as one to hide may ({@link mayEndSecretNameAt}: not `user_id` nor `cache_key`), or whose
 * last two characters end one given in `redact`, is cut out and looked up: each `=` costs a look
 * at a table or two, 7 ns or so, where a look up cost a logfmt line's `_id` and `_key` fields 60 ns
 * each.
 */
function hideAssignedValues(text: string, isSensitive: (key: string) => boolean): string {
  const given = (isSensitive as NameJudge).nameEndings;
  let out = '';
  let done = 0;
  for (let eq = text.indexOf('='); eq !== -1; eq = text.indexOf('=', eq + 1)) {
    // TOML, INI and dumps aligned in columns write blanks around the `=` (`api_key = "..."`): those
    // before it are only ever read back from the `=` after them, once.
    let nameEnd = eq;
    while (nameEnd > done && isBlank(text.charCodeAt(nameEnd - 1))) nameEnd--;
    if (nameEnd < 2 || nameEnd < done) continue;
    const before = text.charCodeAt(nameEnd - 2) | 0x20;
    const last = text.charCodeAt(nameEnd - 1) | 0x20;
    if (before >= 128 || last >= 128) continue;
    if (given?.[(before << 7) | last] !== 1 && !mayEndSecretNameAt(text, nameEnd)) continue;
    let start = nameEnd;
    while (start > 0 && nameEnd - start <= MAX_HEADER_NAME && isAssignedNameChar(text.charCodeAt(start - 1)))
      start--;
    if (nameEnd - start > MAX_HEADER_NAME || (start > 0 && !startsAssignment(text.charCodeAt(start - 1))))
      continue;
    // `==` compares, as code quoted in a message does (`token==null`).
    if (text.charCodeAt(eq + 1) === EQUALS) continue;
    // Blanks after the `=` are read past only where they are written before it too: one alone
    // follows a name in prose (`then password= empty`).
    let value = eq + 1;
    if (nameEnd !== eq) while (isBlank(text.charCodeAt(value))) value++;
    const open = text.charCodeAt(value);
    const from = open === QUOTE || open === APOSTROPHE ? value + 1 : value;
    // A value hidden already (a cookie's, a query's) is not read on: read to its word's end from
    // each `=`, a word of many took the square of its length.
    if (from >= text.length || text.startsWith(REDACTED, from)) continue;
    const name = text.slice(start, nameEnd);
    // A name let through may still be data's (`partition_key`): the judge, which remembers its
    // verdicts, turns it away before the cookies' names are told apart, which cut and lowercase it.
    if (!isSensitive(name) || COOKIE_KEY.test(name) || isSessionCookieName(name)) continue;
    let end: number;
    if (from !== value) {
      end = quotedValueEnd(text, value, open, false);
      end = end === -1 ? text.length : end - 1;
    } else {
      end = wordEnd(text, value);
      // A scheme's credential is the word after it (`authorization=Bearer ...`), past any blanks,
      // to its closing quote if quoted, or the text's end if it is left open.
      if (isBlank(text.charCodeAt(end)) && AUTH_SCHEMES.has(text.slice(value, end).toLowerCase())) {
        while (isBlank(text.charCodeAt(end))) end++;
        const quote = text.charCodeAt(end);
        if (quote !== QUOTE && quote !== APOSTROPHE) end = wordEnd(text, end);
        else {
          const closed = quotedValueEnd(text, end, quote, false);
          end = closed === -1 ? text.length : closed;
        }
      }
      const close = closedEnd(text, start, end);
      if (close !== -1) end = close;
      // A comma or `;` that ends the word ends a list's item or a clause (`password=..., retrying`):
      // the text's, kept.
      else if (
        end - 1 > from &&
        (text.charCodeAt(end - 1) === COMMA || text.charCodeAt(end - 1) === SEMICOLON)
      )
        end--;
    }
    const written = text.slice(from, end);
    if (
      written === '' ||
      NULL.test(written) ||
      TRUTH.test(written) ||
      PLACEHOLDER.test(written) ||
      isSameColumn(name, written) ||
      textHoldsNoSecret(name, written)
    )
      continue;
    out += `${text.slice(done, from)}${REDACTED}`;
    done = end;
    eq = end - 1;
  }
  return done === 0 ? text : out + text.slice(done);
}

/**
 * Whether a name is a session cookie's alone (`sid`, Express's `connect.sid`, `PHPSESSID`): its pair
 * is a cookie's only where a cookie string or header tells so, and alone is as often other text
 * (an Oracle descriptor's `(SID=ORCL)`).
 */
function isSessionCookieName(name: string): boolean {
  const own = name.slice(name.lastIndexOf('.') + 1).toLowerCase();
  return SESSION_COOKIE_NAMES.has(own);
}

const SESSION_COOKIE_NAMES = new Set(['sid', 'sessionid', 'jsessionid', 'phpsessid']);

/** Where the word of text from `from` ends: at a space, a quote or a bracket, or the text's end. */
function wordEnd(text: string, from: number): number {
  let end = from;
  while (end < text.length && !isWordEnd(text.charCodeAt(end))) end++;
  return end;
}

/** A space or a tab. */
const isBlank = (c: number): boolean => c === SPACE_CHAR || c === TAB;

/** A character of a name assigned a value: a variable's, a logfmt key's, a flag's or a header's. */
const isAssignedNameChar = (c: number): boolean =>
  isAlphanumeric(c) || c === UNDERSCORE || c === HYPHEN || c === 0x2e;

/**
 * What a name assigned a value follows: a space, a quote or bracket, a comma, or a brace; or an `=`
 * or a `:`, as a flag's value is itself an assignment (`--env=DD_API_KEY=...`,
 * `--from-literal=password=...`) and a prefix names a variable (`env:DD_API_KEY=...`).
 */
const startsAssignment = (c: number): boolean =>
  isWordEnd(c) ||
  c === COMMA ||
  c === 0x28 ||
  c === OPENING_BRACKET ||
  c === OPENING_BRACE ||
  c === EQUALS ||
  c === 0x3a;

const UNDERSCORE = 0x5f;
/** A flag's value, which tells whether there is a secret and holds none. */
const TRUTH = /^(?:true|false)$/i;
/**
 * Whether a value is a column of the name's own, a table's or an upsert's row's, as a query joins or
 * updates one (`s.token = u.token`, `SET api_key = EXCLUDED.api_key`): a name, not a secret.
 */
function isSameColumn(name: string, written: string): boolean {
  const column = QUALIFIED_COLUMN.exec(written);
  return column !== null && column[1]?.toLowerCase() === name.slice(name.lastIndexOf('.') + 1).toLowerCase();
}

const QUALIFIED_COLUMN = /^[a-z_]\w*\.([a-z_]\w*)$/i;
/** `null`, as SQL writes it too (`SET token = NULL, ...`), in any case. */
const NULL = /^null$/i;
/**
 * A query's placeholder (`$1`, `?`), as node-postgres, mysql2 and ORMs log a query
 * (`SET password_hash = $1, api_key = $2`): the value is sent apart from the query's text. SQL
 * Server's (`@0`, `@p0`) and Oracle's (`:1`) are numbered too; PostgreSQL's cast may follow one
 * (`$1::text`).
 */
const PLACEHOLDER = /^(?:\$\d+|\?|@p?\d+|:\d+)(?:::[a-z_][\w.]*(?:\[\])?)?$/i;

/**
 * The text with the value of each header line whose name holds a credential
 * ({@link namesSecretHeader}), from the `:` at `first` on, as a request's head writes one, written
 * as `[Redacted]`: the rest of its line, whatever its scheme (`Bearer`, `Basic`,
 * `Digest username=...`, `AWS4-HMAC-SHA256 Credential=...`), as all of it is the credential. A head
 * given to `JSON.stringify` ends its lines in `\r\n` escaped: the value ends there too, where it ran
 * on to the text's end, the rest of the head and the JSON after it. A value that starts with a
 * quote, a space or the line's end is no header's, and is left. Each `:` is read once, and each name
 * back no further than {@link MAX_HEADER_NAME}; the one at `known`, if any, is known to be a header's.
 */
function hideHeaderLines(
  text: string,
  first: number,
  known: number,
  isSensitive: (key: string) => boolean,
): string {
  // Where each value to hide starts and ends, in order: each runs to the end of its line.
  const values: number[] = [];
  for (let colon = first; colon !== -1; colon = text.indexOf(':', colon + 1)) {
    if (colon !== known && !namesSecretHeader(text, colon, isSensitive)) continue;
    let value = colon + 1;
    while (text.charCodeAt(value) === SPACE_CHAR || text.charCodeAt(value) === TAB) value++;
    const c = text.charCodeAt(value);
    if (value === text.length || c === QUOTE || c === APOSTROPHE || c <= SPACE_CHAR) continue;
    if (c > 0x7f && A_SPACE.test(text[value] as string)) continue;
    if (isProseMention(text, colon, value)) continue;
    // A value is no line's end, escaped (`X-Api-Key:\r\n`).
    LINE_AT.lastIndex = value;
    if (!LINE_AT.test(text)) continue;
    if (!text.startsWith(REDACTED, value)) values.push(value, LINE_AT.lastIndex);
    colon = LINE_AT.lastIndex - 1;
  }
  if (values.length === 0) return text;
  if (values.length <= MANY_VALUES) {
    let out = '';
    for (let i = 0; i < values.length; i += 2)
      out += `${text.slice(i === 0 ? 0 : values[i - 1], values[i])}${REDACTED}`;
    return out + text.slice(values[values.length - 1]);
  }
  // Many, written by one replace of each line: the lines no value is in are kept as the text holds
  // them, where pieces of it joined anew made a text of many header lines slower to write as the
  // line's JSON than its length made it (200 KB took up to 80 times what 12.5 KB took, not 16).
  let next = 0;
  return text.replace(LINE, (line: string, at: number) => {
    const value = values[next] as number;
    if (next === values.length || value >= at + line.length) return line;
    next += 2;
    return `${line.slice(0, value - at)}${REDACTED}`;
  });
}

/**
 * Whether the header named before the `:` at `colon` is named in a sentence, not a header line: its
 * name follows a word and a space (`checking authorization: user 42 allowed`), where a header line's
 * starts its line or follows punctuation (`upstream refused, X-Api-Key: ...`), and the value at
 * `value` starts with a word of prose, lower case letters (the first may be a capital), that no
 * scheme of a credential is (`Bearer`, `Basic`), followed by more words on its line. A key or token
 * holds digits or mixed case, and one alone on its line is hidden as a header's value.
 */
function isProseMention(text: string, colon: number, value: number): boolean {
  let word = value;
  const first = text.charCodeAt(word);
  if (!(first >= 0x61 && first <= 0x7a) && !(first >= 0x41 && first <= 0x5a)) return false;
  for (word++; word < text.length; word++) {
    const c = text.charCodeAt(word);
    if (c < 0x61 || c > 0x7a) break;
  }
  if (text.charCodeAt(word) !== SPACE_CHAR || !isWordOfProse(text, word + 1)) return false;
  if (AUTH_SCHEMES.has(text.slice(value, word).toLowerCase())) return false;
  let end = colon;
  while (end > 0 && (text.charCodeAt(end - 1) === SPACE_CHAR || text.charCodeAt(end - 1) === TAB)) end--;
  let start = end;
  while (start > 0 && end - start <= MAX_HEADER_NAME && isAssignedNameChar(text.charCodeAt(start - 1)))
    start--;
  return text.charCodeAt(start - 1) === SPACE_CHAR && isAlphanumeric(text.charCodeAt(start - 2));
}

/**
 * Whether the word at `from` is one of prose: lower case letters, the first of them maybe a capital,
 * an acronym of a few capitals (`Invalid API key`, `Expected JWT`), or digits alone (`user 42`),
 * and maybe a mark after them (`done,`). What follows a scheme the registry does not hold
 * (Discord's `Bot MTk4...`, `Hawk id="..."`) is a credential, not such a word.
 */
function isWordOfProse(text: string, from: number): boolean {
  let at = from;
  const first = text.charCodeAt(at);
  if (first >= 0x30 && first <= 0x39) while (isDigit(text.charCodeAt(at))) at++;
  else if (isUpperCase(first) && isUpperCase(text.charCodeAt(at + 1))) {
    while (isUpperCase(text.charCodeAt(at))) at++;
    if (at - from > MAX_ACRONYM) return false;
  } else if (isUpperCase(first) || isLowerCase(first)) for (at++; isLowerCase(text.charCodeAt(at)); ) at++;
  else return false;
  if (PROSE_MARKS.has(text.charCodeAt(at))) at++;
  return at === text.length || text.charCodeAt(at) <= SPACE_CHAR;
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isLowerCase = (c: number): boolean => c >= 0x61 && c <= 0x7a;
const isUpperCase = (c: number): boolean => c >= 0x41 && c <= 0x5a;
/** The longest acronym of prose (`HTTPS`): a word of capitals alone longer is as likely a credential. */
const MAX_ACRONYM = 5;
/** What ends a word of prose: a comma, a stop, a colon or semicolon, a mark of question or exclamation. */
const PROSE_MARKS = new Set([0x2c, 0x2e, 0x3a, 0x3b, 0x3f, 0x21]);

/** The schemes of credentials an `Authorization` header sends, in lower case (IANA's registry, and in use). */
const AUTH_SCHEMES = new Set([
  'basic',
  'bearer',
  'digest',
  'negotiate',
  'ntlm',
  'token',
  'apikey',
  'key',
  'hoba',
  'mutual',
  'oauth',
  'dpop',
  'gnap',
  'privatetoken',
  'vapid',
  'concealed',
  'splunk',
  'ssws',
  'kerberos',
]);

/** Twice the number of values hidden past which they are hidden line by line. */
const MANY_VALUES = 64;

/** A line, or what is left of one: up to a line's end, or a `\r` or `\n` escaped in JSON. */
const LINE = /(?:[^\r\n\\]|\\(?![rn]))+/g;
/** {@link LINE} where a value starts. */
const LINE_AT = /(?:[^\r\n\\]|\\(?![rn]))+/y;

const TAB = 0x09;
const HYPHEN = 0x2d;

/** The longest name read back from a `:`: no header's is longer, and a longer word is not looked up. */
const MAX_HEADER_NAME = 64;

/**
 * Whether the word just before the `:` at `colon`, but for spaces, names a header whose value is a
 * credential: one that ends in `authorization`, in any case (`Proxy-Authorization`), or a header
 * name written with a `-`, starting with a letter, that ends as a credential's name does
 * ({@link isSecretName}: `X-Api-Key`, `DD-API-KEY`, `X-Auth-Token`, `X-Amz-Security-Token`), or
 * in capitals joined by `_`, as an environment's variable is written (`DD_API_KEY: ...`): no word of
 * prose is written so, where what `util.inspect` writes of an object has keys in lower case joined
 * so (`{ session_token: null }`), its values read on their own. Only
 * the word before the `:` is its name: in prose that names one before other words
 * (`api-key rotation: done`) it is `rotation`, and a name that only holds one
 * (`x-api-key-rotation`, `api-keys`) names none. So does a header name written with a `-` that
 * `isSensitive` was given beyond the built-in ones (`redact: ['X-Partner-Signature']`), as in the
 * JSON of a request's headers. A cookie header's pairs are read one by one ({@link hideHeaderCookie}).
 */
function namesSecretHeader(text: string, colon: number, isSensitive: (key: string) => boolean): boolean {
  let end = colon;
  while (end > 0 && (text.charCodeAt(end - 1) === SPACE_CHAR || text.charCodeAt(end - 1) === TAB)) end--;
  // Most words before a `:` (`error`, `12:30`, `Content-Type`, `User-Agent`) end in characters no
  // credential's name does: told so by one look at a table, before the word is read.
  const before = text.charCodeAt(end - 2) | 0x20;
  const last = text.charCodeAt(end - 1) | 0x20;
  if (end < 2 || before >= 128 || last >= 128) return false;
  const builtIn = mayEndSecretName(before, last);
  const given = (isSensitive as NameJudge).headerEndings;
  if (!builtIn && given?.[(before << 7) | last] !== 1) return false;
  return namesSecretHeaderEndingAt(text, end, builtIn, given, isSensitive);
}

/**
 * {@link namesSecretHeader} for a word that ends at `end` as a name to hide may: a function of its
 * own, so that the look at the table, made for each `:` in text, stays small enough to be inlined.
 */
function namesSecretHeaderEndingAt(
  text: string,
  end: number,
  builtIn: boolean,
  given: Uint8Array | undefined,
  isSensitive: (key: string) => boolean,
): boolean {
  if (builtIn && endsInAuthorization(text, end)) return true;
  let start = end;
  let hyphen = false;
  let underscore = false;
  let lower = false;
  for (; start > 0 && end - start <= MAX_HEADER_NAME; start--) {
    const c = text.charCodeAt(start - 1);
    if (c === HYPHEN) hyphen = true;
    else if (c === UNDERSCORE) underscore = true;
    else if (!isAlphanumeric(c)) break;
    else lower ||= c >= 0x61;
  }
  if (!(hyphen || (underscore && !lower)) || end - start > MAX_HEADER_NAME) return false;
  // A head given to JSON.stringify holds its line ends escaped (`\r\nX-Api-Key:`): the `n` is theirs.
  if (text.charCodeAt(start - 1) === BACKSLASH && text.charCodeAt(start) === 0x6e) start++;
  const first = text.charCodeAt(start) | 0x20;
  if (first < 0x61 || first > 0x7a) return false;
  const name = text.slice(start, end);
  if (COOKIE_KEY.test(name)) return false;
  return (builtIn && isSecretName(name)) || (given !== undefined && isSensitive(name));
}

const isAlphanumeric = (c: number): boolean =>
  (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);

/** Whether the text up to `end` ends in `authorization`, in any case, as a word of its own or after a `-`. */
function endsInAuthorization(text: string, end: number): boolean {
  const start = end - AUTHORIZATION.length;
  if (start < 0) return false;
  // A word that only ends so names no header (`reauthorization`, `preauthorization`); a line end
  // escaped in JSON (`\r\nAuthorization:`) starts one.
  if (isAlphanumeric(text.charCodeAt(start - 1)) && text.charCodeAt(start - 2) !== BACKSLASH) return false;
  for (let i = AUTHORIZATION.length - 1; i >= 0; i--)
    if ((text.charCodeAt(start + i) | 0x20) !== AUTHORIZATION.charCodeAt(i)) return false;
  return true;
}

const AUTHORIZATION = 'authorization';

/**
 * The text with each word that is a form's fields, or a query without its `?`, written as
 * {@link redactForm} writes it (`body: grant_type=password&username=ada&password=[Redacted]`, as a
 * request body is logged); a word with a `?`, or a URL, was read as one already.
 */
function redactFormsIn(text: string, isSensitive: (key: string) => boolean): string {
  let out = '';
  let done = 0;
  for (let amp = text.indexOf('&'); amp !== -1; ) {
    let start = amp;
    while (start > done && !isWordEnd(text.charCodeAt(start - 1))) start--;
    let end = amp + 1;
    while (end < text.length && !isWordEnd(text.charCodeAt(end))) end++;
    const word = text.slice(start, end);
    if (word.indexOf('=') !== -1 && word.indexOf('?') === -1 && !word.includes('://')) {
      let clean = redactForm(word, isSensitive);
      // A value hidden that ran to a bracket closing one opened before it ends there, as in prose
      // (`(body grant_type=password&password=[Redacted]), retrying`), as a query's does.
      const close = clean !== word && clean.endsWith(REDACTED) ? closedEnd(text, start, end) : -1;
      const shorter = close === -1 ? '' : redactForm(text.slice(start, close), isSensitive);
      if (shorter.endsWith(REDACTED)) clean = shorter + text.slice(close, end);
      if (clean !== word) {
        out += text.slice(done, start) + clean;
        done = end;
      }
    }
    amp = text.indexOf('&', end);
  }
  return done === 0 ? text : out + text.slice(done);
}

/**
 * The text, whose first `:` is at `first`, with the value under each key to hide in the JSON it
 * holds written as `"[Redacted]"`
 * (`upstream refused {"authorization":"[Redacted]",...}`, a request's headers or body given to
 * `JSON.stringify` for a message), and in what `util.inspect` writes of an object, a string under
 * it (`{ authorization: '[Redacted]' }`), as the field would be; a flag, null, or a number or truth value
 * under a name such a setting goes by ({@link holdsNoSecret}) is kept, and an object or array is
 * left to what reads its own keys. A cookie header's pairs (`"cookie":"theme=dark; sid=..."`) were
 * read one by one already ({@link hideHeaderCookie}), those to hide hidden. The value of a header
 * line whose name holds a credential is hidden too ({@link hideHeaderLines}). Each character is read
 * a bounded number of times.
 */
function hideKeyedValues(text: string, first: number, isSensitive: (key: string) => boolean): string {
  // One look at each `:` tells which of them the text may hold: most hold none, and pay no more.
  let json = false;
  let escaped = false;
  let jsonSpaced = false;
  let inspected = false;
  let inspectedTight = false;
  let inspectedArray = false;
  let inspectedQuoting = false;
  // The first header line whose value is a credential, if any.
  let header = -1;
  for (let colon = first; colon !== -1; colon = text.indexOf(':', colon + 1)) {
    const before = text.charCodeAt(colon - 1);
    if (before === QUOTE) {
      json = true;
      escaped ||= text.charCodeAt(colon - 2) === BACKSLASH;
    } else if (isAlphanumeric(before) || before === SPACE_CHAR || before === TAB) {
      if (header === -1 && namesSecretHeader(text, colon, isSensitive)) header = colon;
      jsonSpaced ||= before === SPACE_CHAR && text.charCodeAt(colon - 2) === QUOTE;
    }
    const after = text.charCodeAt(colon + 1);
    if (after === APOSTROPHE) inspectedTight = true;
    else if (after === SPACE_CHAR) {
      const opening = text.charCodeAt(colon + 2);
      if (opening === APOSTROPHE) inspected = true;
      else if (opening === OPENING_BRACKET) inspectedArray = true;
      // JSON's key is quoted as its string is: only another's is read so.
      else if (opening === QUOTE && before !== QUOTE) inspectedQuoting = true;
    }
  }
  if (
    !json &&
    !jsonSpaced &&
    !inspected &&
    !inspectedTight &&
    !inspectedArray &&
    !inspectedQuoting &&
    header === -1
  )
    return text;
  let clean = text;
  if (json) clean = hideQuotedValues(clean, isSensitive, JSON_FORM);
  if (jsonSpaced) clean = hideQuotedValues(clean, isSensitive, JSON_SPACED_FORM);
  if (escaped) clean = hideQuotedValues(clean, isSensitive, ESCAPED_JSON_FORM);
  if (inspected) clean = hideQuotedValues(clean, isSensitive, INSPECT_FORM);
  if (inspectedTight) clean = hideQuotedValues(clean, isSensitive, INSPECT_TIGHT_FORM);
  if (inspectedArray) clean = hideQuotedValues(clean, isSensitive, INSPECT_ARRAY_FORM);
  if (inspectedQuoting) clean = hideQuotedValues(clean, isSensitive, INSPECT_QUOTING_FORM);
  if (header === -1) return clean;
  return clean === text
    ? hideHeaderLines(clean, header, header, isSensitive)
    : hideHeaderLines(clean, clean.indexOf(':'), -1, isSensitive);
}

/** How JSON or `util.inspect` write an object's key, then a string under it. */
interface ObjectForm {
  /** What follows a key, up to its value's opening quote or bracket for `util.inspect`. */
  readonly separator: string;
  /** How many of the separator's characters come before its value's, whose opening it may hold. */
  readonly valueAt: number;
  /** The quote around a string, and around a key if it is quoted. */
  readonly quote: number;
  /** Whether a key may be written without quotes, and a literal is not read (`util.inspect`'s). */
  readonly bareKeys: boolean;
  /** Whether each quote is escaped, as JSON is in a JSON string (`"{\"token\":\"...\"}"`). */
  readonly escaped: boolean;
  /** A character each string of this form holds, if any: what it is quoted so for. */
  readonly holds?: number;
}

/** How `util.inspect` writes a key, quoted in `'` only when it is no identifier, then a string in `'`. */
function inspectForm(separator: string, valueAt: number): ObjectForm {
  return { separator, valueAt, quote: 0x27, bareKeys: true, escaped: false };
}

const JSON_FORM: ObjectForm = { separator: '":', valueAt: 2, quote: 0x22, bareKeys: false, escaped: false };
/** `{"password" : "..."}`, as some serializers space the colon. */
const JSON_SPACED_FORM: ObjectForm = {
  separator: '" :',
  valueAt: 3,
  quote: 0x22,
  bareKeys: false,
  escaped: false,
};
/**
 * JSON held in a JSON string, as `JSON.stringify` writes an object holding a body sent as JSON
 * (an HTTP client's request options: `"data":"{\"password\":\"...\"}"`).
 */
const ESCAPED_JSON_FORM: ObjectForm = {
  separator: '\\":',
  valueAt: 3,
  quote: 0x22,
  bareKeys: false,
  escaped: true,
};
/** `{ authorization: 'Bearer ...', 'x-api-key': '...' }`, as a template writes `inspect(headers)`. */
const INSPECT_FORM = inspectForm(": '", 2);
/** `{'password':'...'}`: keys and strings in `'`, written with no space. */
const INSPECT_TIGHT_FORM = inspectForm(":'", 1);
/** `{ token: [ '...', '...' ] }`: an array of strings under a key. */
const INSPECT_ARRAY_FORM = inspectForm(': [', 2);
/** `Map(1) { 'authorization' => '...' }`: what `util.inspect` writes of a Map. */
const MAP_FORM = inspectForm(' => ', 4);
/** `{ password: "it's ..." }`: `util.inspect` quotes a string holding a `'` in `"`. */
const INSPECT_QUOTING_FORM: ObjectForm = {
  separator: ': "',
  valueAt: 2,
  quote: 0x22,
  bareKeys: true,
  escaped: false,
  holds: 0x27,
};

/** {@link hideKeyedValues} for the keys of one form. */
function hideQuotedValues(text: string, isSensitive: (key: string) => boolean, form: ObjectForm): string {
  const { separator, valueAt, quote, bareKeys, escaped, holds } = form;
  if (text.indexOf(separator) === -1) return text;
  let out = '';
  let done = 0;
  const mark = escaped ? `\\${String.fromCharCode(quote)}` : String.fromCharCode(quote);
  for (let at = text.indexOf(separator); at !== -1; at = text.indexOf(separator, at + 2)) {
    // JSON's separator starts with the key's closing quote; `util.inspect` quotes only some keys.
    const keyEnd = bareKeys && text.charCodeAt(at - 1) === quote ? at - 1 : at;
    const quoted = !bareKeys || keyEnd !== at;
    let open: number;
    if (quoted) open = text.lastIndexOf(mark, keyEnd - 1);
    else for (open = at - 1; open >= done && isBareKeyChar(text.charCodeAt(open)); ) open--;
    // A key not quoted is after `open`, and may start the text (`token: '...'`, a field's own).
    if (open < (quoted ? done : done - 1) || open + mark.length === keyEnd) continue;
    const key = text.slice(open + mark.length, keyEnd);
    if (!isSensitive(key)) continue;
    let value = at + valueAt;
    while (value < text.length && text.charCodeAt(value) <= SPACE_CHAR) value++;
    if (!escaped && text.charCodeAt(value) === OPENING_BRACKET) {
      // An array of strings under the key (`"password":["..."]`): each string hidden, as one alone is.
      // A cookie header's were read pair by pair already ({@link hideHeaderCookie}).
      if (COOKIE_KEY.test(key)) continue;
      const hidden = hideStringArray(text, value, quote, key);
      if (hidden === undefined) continue;
      out += text.slice(done, value) + hidden.written;
      done = hidden.end;
      at = hidden.end - 2;
      continue;
    }
    const end = escaped ? escapedValueEnd(text, value) : quotedValueEnd(text, value, quote, !bareKeys);
    // Other text quoted so (`authorization: "none"`) is not what util.inspect writes.
    if (holds !== undefined && !holdsWithin(text, value, end === -1 ? text.length : end, holds)) continue;
    if (end === -1 && text.startsWith(mark, value)) {
      // A string left open holds the rest of the text, as a body cut at a length ends in its secret:
      // hidden with it. Read on from each key in it, it cost the square of the text's length.
      out += `${text.slice(done, value)}${mark}${REDACTED}`;
      done = text.length;
      break;
    }
    if (end === -1) continue;
    // Read as JSON unescaped is: a string's quotes alone escaped, a literal as it is.
    const written =
      escaped && text.startsWith(mark, value)
        ? `"${text.slice(value + 2, end - 2)}"`
        : text.slice(value, end);
    if (keepsJson(key, written, quote) || (COOKIE_KEY.test(key) && written.includes('='))) continue;
    out += `${text.slice(done, value)}${mark}${REDACTED}${mark}`;
    done = end;
    at = end - 2;
  }
  return done === 0 ? text : out + text.slice(done);
}

/**
 * The array of strings in `quote` under `key` that opens at `value` with each string written as
 * `[Redacted]` in its quotes but those {@link keepsJson} keeps, and where it ends past its `]`; undefined
 * if it holds anything else, or is left open.
 */
function hideStringArray(
  text: string,
  value: number,
  quote: number,
  key: string,
): { written: string; end: number } | undefined {
  const mark = String.fromCharCode(quote);
  let written = '[';
  let at = value + 1;
  for (;;) {
    const start = at;
    while (at < text.length && text.charCodeAt(at) <= SPACE_CHAR) at++;
    written += text.slice(start, at);
    const c = text.charCodeAt(at);
    if (c === CLOSING_BRACKET) return { written: `${written}]`, end: at + 1 };
    if (c === COMMA) {
      written += ',';
      at++;
      continue;
    }
    if (c !== quote) return undefined;
    const end = quotedValueEnd(text, at, quote, false);
    if (end === -1) return undefined;
    const element = text.slice(at, end);
    written += keepsJson(key, element, quote) ? element : `${mark}${REDACTED}${mark}`;
    at = end;
  }
}

/** Whether the text holds the character `c` from `from` to `to`. */
function holdsWithin(text: string, from: number, to: number, c: number): boolean {
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === c) return true;
  return false;
}

/** A character of a key `util.inspect` writes without quotes: an identifier's. */
const isBareKeyChar = (c: number): boolean =>
  (c >= 0x61 && c <= 0x7a) ||
  (c >= 0x41 && c <= 0x5a) ||
  (c >= 0x30 && c <= 0x39) ||
  c === 0x5f ||
  c === 0x24;

/**
 * Where a string in `quote`, or a JSON literal (a number, `true`) if `literals`, that starts at
 * `value` ends; -1 for an object or array, or a string left open.
 */
function quotedValueEnd(text: string, value: number, quote: number, literals: boolean): number {
  const first = text.charCodeAt(value);
  if (first === quote) {
    for (let i = value + 1; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === BACKSLASH) i++;
      else if (c === quote) return i + 1;
    }
    return -1;
  }
  if (!literals || first === OPENING_BRACKET || first === OPENING_BRACE || Number.isNaN(first)) return -1;
  let end = value;
  while (end < text.length && !isJsonLiteralEnd(text.charCodeAt(end))) end++;
  return end;
}

/**
 * {@link quotedValueEnd} for JSON held in a JSON string: its string's quotes are escaped once
 * (`\"`), a quote within it three times (`\\\"`).
 */
function escapedValueEnd(text: string, value: number): number {
  if (text.charCodeAt(value) !== BACKSLASH || text.charCodeAt(value + 1) !== QUOTE)
    return quotedValueEnd(text, value, QUOTE, true);
  for (let i = value + 2; i < text.length; i++) {
    if (text.charCodeAt(i) !== BACKSLASH) continue;
    const run = i;
    while (text.charCodeAt(i) === BACKSLASH) i++;
    if (i - run === 1 && text.charCodeAt(i) === QUOTE) return i + 1;
  }
  return -1;
}

const OPENING_BRACE = 0x7b;
const COOKIE_KEY = /cookies?$/i;
const isJsonLiteralEnd = (c: number): boolean => c <= SPACE_CHAR || c === COMMA || c === 0x7d || c === 0x5d;

/** Whether a value as written under this key holds no secret, as {@link holdsNoSecret} tells of a field's. */
function keepsJson(key: string, written: string, quote: number): boolean {
  if (written === 'null') return true;
  if (written === 'true' || written === 'false') return holdsNoSecret(key, written === 'true');
  if (written.charCodeAt(0) === quote) return holdsNoSecret(key, written.slice(1, -1));
  return holdsNoSecret(key, Number(written));
}

/**
 * A `Cookie` or `Set-Cookie` header's name in text, in any case, and what comes between it and the
 * first pair: the spaces, and as JSON and `util.inspect` write headers, the quotes and an array's
 * bracket (`"cookie":"JSESSIONID=...`, `'set-cookie': [ 'sid=...`), its elements on lines of their
 * own when the array is long or indented; or the `=` logfmt writes after a field's name
 * (`cookie=JSESSIONID=...`); or the `,` before its value in a list of headers held as a name, then
 * its value (Node's `rawHeaders`) as a template, `util.inspect` or JSON write one
 * (`Cookie,sid=...`, `'Cookie', 'sid=...'`, `"Cookie","sid=..."`).
 */
const COOKIE_HEADER = /cookie(?:["']?[ \t]*[:=][ \t]*(?:\[\s*)?["']?|["']?,\s*["']?)/gi;

/** What leads from an array's element to the next one, as JSON and `util.inspect` write arrays. */
const NEXT_ELEMENT = /\s*,\s*["']/y;

/** The name {@link COOKIE_HEADER} starts with, whatever its case. */
const COOKIE_NAME = /cookie/i;

/**
 * The text with the value of the pair after a `Cookie` or `Set-Cookie` header's name hidden when the
 * pair's name is to hide, a lone pair's too (`Cookie: JSESSIONID=...`, `set-cookie: sid=...`): with
 * no `; ` beside it, only the header's name tells a pair from other text. A value already hidden, as
 * a cookie string's first pair's is, is left as it is.
 */
function hideHeaderCookie(text: string, isSensitive: (key: string) => boolean): string {
  // One look for the name, whatever its case, spares the text that holds none, nearly all, the search
  // for a header's; it costs less than two for the cases headers are most often written in did.
  if (!COOKIE_NAME.test(text)) return text;
  let out = '';
  let done = 0;
  // How far the values read for a pair after a `,` held none to hide: a value that starts before it
  // ends where that one does, and holds no more.
  let commaRead = 0;
  COOKIE_HEADER.lastIndex = 0;
  for (let found = COOKIE_HEADER.exec(text); found !== null; found = COOKIE_HEADER.exec(text)) {
    let header = found[0];
    let start = COOKIE_HEADER.lastIndex;
    let name = start;
    while (name < text.length && !isPairEnd(text.charCodeAt(name))) name++;
    // A header's name within that one's (`Cookie:Cookie:sid=`) is before the same pair: the last
    // is its. Read from each on to the pair's end, they cost the square of the text's length.
    for (
      let inner = COOKIE_HEADER.exec(text);
      inner !== null && inner.index < name;
      inner = COOKIE_HEADER.exec(text)
    ) {
      header = inner[0];
      start = COOKIE_HEADER.lastIndex;
      if (name < start) name = start;
      while (name < text.length && !isPairEnd(text.charCodeAt(name))) name++;
    }
    COOKIE_HEADER.lastIndex = name;
    // A Set-Cookie header's array holds a pair in each element (`[ 'theme=dark', 'sid=...' ]`).
    let quote = text.charCodeAt(start - 1);
    const listed = header.includes('[') && (quote === QUOTE || quote === APOSTROPHE);
    // In a list of headers written by a template (`Cookie,sid=...,Accept,*/*`), a `,` ends the value,
    // as a cookie's holds none.
    const commaEnds = header.charCodeAt(header.length - 1) === COMMA;
    for (;;) {
      if (text.charCodeAt(name) === EQUALS) {
        let value = name + 1;
        let end = -1;
        // A value's end is read for a pair to hide alone: read for every pair, a word of headers'
        // pairs (`Cookie:a=Cookie:a=...`) was read on to its end from each, the square of its length.
        if (isSensitive(text.slice(start, name))) end = cookieValueEnd(text, value, commaEnds);
        else if (!commaEnds && value >= commaRead) {
          const wordEnd = valueWordEnd(text, value, false);
          value = hiddenAfterComma(text, value, wordEnd, isSensitive);
          if (value === -1) commaRead = wordEnd;
          else end = cookieValueEnd(text, value, false);
        }
        if (end !== -1 && (end !== value + REDACTED.length || !text.startsWith(REDACTED, value))) {
          out += text.slice(done, value) + REDACTED;
          done = end;
          COOKIE_HEADER.lastIndex = end;
        }
      }
      if (!listed) break;
      const next = nextElement(text, Math.max(name, COOKIE_HEADER.lastIndex), quote);
      if (next === -1) break;
      // util.inspect quotes an element holding a `'` in `"`.
      quote = text.charCodeAt(next - 1);
      start = next;
      name = next;
      while (name < text.length && !isPairEnd(text.charCodeAt(name))) name++;
      COOKIE_HEADER.lastIndex = name;
    }
  }
  return done === 0 ? text : out + text.slice(done);
}

/**
 * Where the array's element after the one read up to `from`, closed by `quote`, starts, past the
 * quote it opens with; -1 past the array's last. A quote escaped is the element's own.
 */
function nextElement(text: string, from: number, quote: number): number {
  let at = from;
  while (at < text.length && text.charCodeAt(at) !== quote) at += text.charCodeAt(at) === BACKSLASH ? 2 : 1;
  NEXT_ELEMENT.lastIndex = at + 1;
  return at < text.length && NEXT_ELEMENT.test(text) ? NEXT_ELEMENT.lastIndex : -1;
}

/**
 * Where the value of the first pair to hide after a `,` in a cookie's value from `value` to `end`
 * starts (`theme=dark,sid=...`: a `Set-Cookie` header's list, its elements joined by `,` as a
 * template joins an array's); -1 if there is none. A cookie's value holds no `,` (RFC 6265), and
 * an attribute's that does (`Expires=Wed, 21 Oct ...`) has a space after it, as no name has.
 */
function hiddenAfterComma(
  text: string,
  value: number,
  end: number,
  isSensitive: (key: string) => boolean,
): number {
  for (let i = value; i < end; i++) {
    if (text.charCodeAt(i) !== COMMA) continue;
    let name = i + 1;
    while (name < end && !isPairEnd(text.charCodeAt(name)) && text.charCodeAt(name) !== COMMA) name++;
    if (name < end && text.charCodeAt(name) === EQUALS && isSensitive(text.slice(i + 1, name)))
      return name + 1;
    i = name - 1;
  }
  return -1;
}

const COMMA = 0x2c;

/**
 * Where a cookie's value from `value` ends: past its closing quote if quoted (RFC 6265); else at the
 * `;` or the word's end, as a value may hold `=` (base64's padding), or before a bracket that closes
 * one opened before it ({@link closedEnd}).
 */
function cookieValueEnd(text: string, value: number, commaEnds: boolean): number {
  if (text.charCodeAt(value) === QUOTE) return closingQuote(text, value + 1);
  const end = valueWordEnd(text, value, commaEnds);
  // Ended by its word, it may have run to a bracket closing one opened before it, as in prose.
  const close = end === value ? -1 : closedEnd(text, value, end);
  return close === -1 ? end : close;
}

/** Where a value unquoted from `value` ends at the latest: at a `;`, its word's end, or a `,` if `commaEnds`. */
function valueWordEnd(text: string, value: number, commaEnds: boolean): number {
  let end = value;
  for (; end < text.length; end++) {
    const c = text.charCodeAt(end);
    if (c === SEMICOLON || isWordEnd(c) || (c === COMMA && commaEnds)) break;
  }
  return end;
}

/**
 * The text with each word that holds a query or a path parameter (`GET /login?token=... -> 401`,
 * `api.example.com/v1?api_key=...`, `GET /cart;jsessionid=... -> 500`) written as
 * {@link redactQuery} writes it; a URL with a scheme is left to {@link redactUrlsIn}. Text with an `=`
 * costs two looks more, and each `;` in it a look at the name after it.
 */
function redactParamsIn(text: string, isSensitive: (key: string) => boolean): string {
  // Where the next query or path parameter (`;jsessionid=`) may start, each looked for again only
  // once passed.
  let question = text.indexOf('?');
  let semicolon = text.indexOf(';');
  // Most `;` in text start no parameter to hide (a media type's `;q=0.9` or `;charset=`, as every
  // browser's Accept headers hold them): the name after one is looked at before its word is read,
  // which cost a request's headers in a line several times what the rest of them did; unless the
  // text holds what may start another parameter in the word (`&`, `#`, something encoded).
  const namesFirst =
    semicolon !== -1 && text.indexOf('&') === -1 && text.indexOf('#') === -1 && text.indexOf('%') === -1;
  let out = '';
  let done = 0;
  let pairFrom = -1;
  while (question !== -1 || semicolon !== -1) {
    const mark = question === -1 || (semicolon !== -1 && semicolon < question) ? semicolon : question;
    if (mark === semicolon && text.charCodeAt(mark + 1) === SPACE_CHAR) {
      // Pairs joined by `; ` are a cookie string, as a `Cookie` or `Set-Cookie` header sends it
      // (`cookie: a=1; jsessionid=...`, `Set-Cookie: JSESSIONID=...; Path=/`): the pair on each side
      // is looked at, by its name, as a path parameter is.
      // A value may be quoted (RFC 6265): its name is before the quote that opens it.
      const opened = text.charCodeAt(mark - 1) === QUOTE ? openingQuote(text, mark - 1, done) : -1;
      let start = opened === -1 ? mark : opened;
      while (start > done && !isWordEnd(text.charCodeAt(start - 1))) start--;
      // A pair after a `; ` was looked at as the one after it: only a string's first is looked at here.
      // Looked for in the pair only: on to the text's end, text of many `; ` was read once for each.
      let equals = start === pairFrom ? mark : start;
      while (equals < mark && text.charCodeAt(equals) !== EQUALS) equals++;
      if (equals < mark) {
        const value = isSensitive(text.slice(start, equals))
          ? equals + 1
          : hiddenAfterComma(text, equals + 1, mark, isSensitive);
        if (value !== -1) {
          out += text.slice(done, value) + REDACTED;
          done = mark;
        }
      }
      let name = mark + 2;
      while (name < text.length && !isPairEnd(text.charCodeAt(name))) name++;
      if (text.charCodeAt(name) === EQUALS) {
        let value = name + 1;
        const end = cookieValueEnd(text, value, false);
        if (!isSensitive(text.slice(mark + 2, name))) value = hiddenAfterComma(text, value, end, isSensitive);
        if (value !== -1) {
          out += text.slice(done, value) + REDACTED;
          done = end;
          // A `?` in the value hidden starts no query: read as one, the text up to it was written twice.
          if (question !== -1 && question < end) question = text.indexOf('?', end);
        }
      }
      pairFrom = mark + 2;
      semicolon = text.indexOf(';', mark + 1);
      continue;
    }
    if (mark === semicolon && namesFirst && !hidesParameterAt(text, mark + 1, isSensitive)) {
      semicolon = text.indexOf(';', mark + 1);
      continue;
    }
    let start = mark;
    while (start > 0 && !isWordEnd(text.charCodeAt(start - 1))) start--;
    let end = mark + 1;
    while (end < text.length && !isWordEnd(text.charCodeAt(end))) end++;
    let word = text.slice(start, end);
    if (word.indexOf('=', mark - start) !== -1 && !word.includes('://')) {
      let clean = redactQuery(word, isSensitive);
      const close = clean !== word && clean.endsWith(REDACTED) ? closedEnd(text, start, end) : -1;
      if (close !== -1) {
        const shorter = redactQuery(text.slice(start, close), isSensitive);
        if (shorter.endsWith(REDACTED)) {
          end = close;
          word = text.slice(start, end);
          clean = shorter;
        }
      }
      // As in a URL with a scheme, a secret that ran to a quote or bracket runs on to the next space,
      // unless it closes the one the word was opened with, as in JSON and HTML.
      if (
        clean !== word &&
        clean.endsWith(REDACTED) &&
        QUOTE_OR_BRACKET.has(text.charCodeAt(end)) &&
        !closesQuote(text, start, end, end)
      ) {
        SPACE.lastIndex = end;
        end = SPACE.exec(text)?.index ?? text.length;
        clean = redactQuery(text.slice(start, end), isSensitive);
      }
      if (clean !== word) {
        out += text.slice(done, start) + clean;
        done = end;
      }
    }
    if (question !== -1 && question < end) question = text.indexOf('?', end);
    // A word that ends in `; ` is a cookie string's pair (`returnTo=/cart?item=1; jsessionid=...`):
    // the pair after it is looked at as after any other.
    if (semicolon !== -1 && semicolon < end)
      semicolon =
        text.charCodeAt(end - 1) === SEMICOLON && text.charCodeAt(end) === SPACE_CHAR
          ? end - 1
          : text.indexOf(';', end);
  }
  return done === 0 ? text : out + text.slice(done);
}

/**
 * Where a word of text from `start` to `end` ends in prose, before the `)` or `]` that close brackets
 * opened before it and still open (`(see /x?token=...)`, `[https://a/cb?token=...],`), and the
 * punctuation after them; -1 if it does not end so. A secret's value runs to its word's end, and took
 * the brackets and what followed them with it. A closing bracket the value opened itself is the
 * value's; one that no bracket still open before it opened may be a secret's own, and goes with it,
 * as hiding too much is the safer loss.
 */
function closedEnd(text: string, start: number, end: number): number {
  let close = end;
  while (close > start && isProsePunctuation(text.charCodeAt(close - 1))) close--;
  const closing = text.charCodeAt(close - 1);
  const opening =
    closing === CLOSING_PAREN ? OPENING_PAREN : closing === CLOSING_BRACKET ? OPENING_BRACKET : -1;
  if (opening === -1) return -1;
  // Counted in the value hidden alone: a bracket that opens the word (`[/x?token=...]`) closes there.
  const value = Math.max(start, text.lastIndexOf('=', close - 1));
  let unclosed = 0;
  for (let i = value; i < close; i++) {
    const c = text.charCodeAt(i);
    if (c === opening) unclosed++;
    else if (c === closing) unclosed--;
  }
  if (unclosed >= 0) return -1;
  let run = 1;
  while (close - run > value && text.charCodeAt(close - run - 1) === closing) run++;
  const closed = Math.min(-unclosed, run, openBefore(text, value, opening));
  return closed === 0 ? -1 : close - closed;
}

const isProsePunctuation = (c: number): boolean =>
  c === 0x2c || c === 0x2e || c === 0x3a || c === 0x3b || c === 0x21;
const OPENING_PAREN = 0x28;
const CLOSING_PAREN = 0x29;

/**
 * The text being looked at, how far it was read, and how many `(` and `[` are open there: a look
 * back from each word would read it again, and its words are looked at in turn. Let go of once the
 * text is read ({@link redactUrlsIn}).
 */
let opensOf = '';
let opensRead = 0;
let openParens = 0;
let openBrackets = 0;

/** How many brackets of this kind the text holds open before `at`. */
function openBefore(text: string, at: number, opening: number): number {
  if (text !== opensOf || at < opensRead) {
    opensOf = text;
    opensRead = 0;
    openParens = 0;
    openBrackets = 0;
  }
  for (; opensRead < at; opensRead++) {
    const c = text.charCodeAt(opensRead);
    if (c === OPENING_PAREN) openParens++;
    else if (c === CLOSING_PAREN) openParens = Math.max(0, openParens - 1);
    else if (c === OPENING_BRACKET) openBrackets++;
    else if (c === CLOSING_BRACKET) openBrackets = Math.max(0, openBrackets - 1);
  }
  return opening === OPENING_PAREN ? openParens : openBrackets;
}

/**
 * Whether the parameter whose name starts at `from` in text, up to its `=`, is one {@link redactQuery}
 * hides; false when a `;`, `?` or the word's end comes first, as then it has no value.
 */
function hidesParameterAt(text: string, from: number, isSensitive: (key: string) => boolean): boolean {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === EQUALS) return hides(text.slice(from, i), isSensitive);
    if (c === SEMICOLON || c === QUESTION || isWordEnd(c)) return false;
  }
  return false;
}

const EQUALS = 0x3d;
const SPACE_CHAR = 0x20;
const QUOTE = 0x22;
const APOSTROPHE = 0x27;
const BACKSLASH = 0x5c;

/**
 * Where the quote that opens a cookie's quoted value closed at `close` is, after its `=`; -1 if
 * there is none after `from`. A quoted value holds no `;` nor space, so the look ends at the first.
 */
function openingQuote(text: string, close: number, from: number): number {
  for (let i = close - 1; i > from; i--) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return text.charCodeAt(i - 1) === EQUALS ? i : -1;
    if (c === SEMICOLON || c <= SPACE_CHAR) return -1;
  }
  return -1;
}

/** Where a cookie's quoted value opened before `from` ends: past its closing quote, or at a `;` or space. */
function closingQuote(text: string, from: number): number {
  let end = from;
  while (end < text.length) {
    const c = text.charCodeAt(end);
    if (c === QUOTE) return end + 1;
    if (c === SEMICOLON || c <= SPACE_CHAR) return end;
    end++;
  }
  return end;
}

/**
 * Whether a character ends a cookie's name or value: its `=` or `;`, or the word's end. A cookie's
 * name is neither encoded nor nested, so it is judged as it is written.
 */
const isPairEnd = (c: number): boolean => c === EQUALS || c === SEMICOLON || isWordEnd(c);

/** Whether a character ends a word in text, as it ends a URL: a space, a quote or a bracket. */
const isWordEnd = (c: number): boolean =>
  c <= 0x20 ||
  c === 0x22 ||
  c === 0x27 ||
  c === 0x3c ||
  c === 0x3e ||
  c === 0x60 ||
  (c > 0x7f && A_SPACE.test(String.fromCharCode(c)));

/**
 * Names under which a field or span attribute holds a URL or a path (`url`, OpenTelemetry's
 * `url.path` and `http.target`, Express's `originalUrl`), or a query without its `?`
 * (`url.query`): what they hold is read as one, whatever it holds, a path parameter included.
 */
const URL_FIELDS = new Map<string, 'url' | 'query'>([
  ['url', 'url'],
  ['path', 'url'],
  ['href', 'url'],
  ['originalUrl', 'url'],
  ['http.url', 'url'],
  ['http.target', 'url'],
  ['url.full', 'url'],
  ['url.path', 'url'],
  ['url.query', 'query'],
]);

/**
 * The value of a field or attribute named as a URL, path or query is ({@link URL_FIELDS}), its
 * secrets hidden; undefined under any other name.
 */
export function redactUrlField(
  key: string,
  value: string,
  isSensitive: (key: string) => boolean,
): string | undefined {
  const kind = URL_FIELDS.get(key);
  if (kind === undefined) return undefined;
  return kind === 'url' || value.charCodeAt(0) === QUESTION
    ? redactUrl(value, isSensitive)
    : redactForm(value, isSensitive);
}

const QUESTION = 0x3f;

/** A query without its `?` (`token=...&x=1`), or a form, its secrets hidden as a query's are. */
export function redactForm(text: string, isSensitive: (key: string) => boolean): string {
  const query = `?${text}`;
  // A URL given as a value holds credentials of its own (`next=https://ada:...@app.example/`).
  const clean = redactUrl(query, isSensitive);
  return clean === query ? text : clean.slice(1);
}

/**
 * Whether the quote or bracket at `at` closes the one just before the URL at `start`, and is followed
 * by the end of the text, a space or punctuation, as a quoted word is; and, up to `end`, by no `@`
 * before the same quote opens again, which would make it a password's own
 * (`'redis://:pa'.ss@cache'`), where a quoted e-mail address further on follows a quote
 * (`"https://a.example","ada@b.example"`).
 */
function closesQuote(text: string, start: number, at: number, end: number): boolean {
  const open = text.charCodeAt(start - 1);
  const close = text.charCodeAt(at);
  if (close !== (open === LESS_THAN ? GREATER_THAN : open)) return false;
  if (at + 1 !== text.length && !AFTER_QUOTED_WORD.test(text[at + 1] as string)) return false;
  for (let i = at + 1; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === open) return true;
    if (c === AT) return false;
  }
  return true;
}

const AT = 0x40;

const LESS_THAN = 0x3c;
const GREATER_THAN = 0x3e;
/** What follows a quoted word: a space, punctuation, or a tag's end (`href="...">`). */
const AFTER_QUOTED_WORD = /[\s,;:.!)\]}>]/;

/**
 * Where a URL run on past a quote or bracket from `from` ends: at the next space, `end`, or before
 * the next URL's scheme, read as a URL of its own with its own secrets. A URL run on never reaches
 * into the next one's: each character is read once, however many URLs a word without a space holds.
 */
function endOfWord(text: string, from: number, end: number): number {
  let scheme = text.indexOf('://', from);
  if (scheme === -1 || scheme >= end) return end;
  while (scheme > from && SCHEME_CHAR.test(text[scheme - 1] as string)) scheme--;
  return scheme;
}

const SCHEME_CHAR = /[a-z\d+.-]/i;
const REDACTED = '[Redacted]';
const SPACE = /\s/g;
/** One character, a space of any script: {@link SPACE} keeps a position between looks. */
const A_SPACE = /\s/;
/** What ends a URL in text but a space: the stops of {@link URL_IN_TEXT}. */
const QUOTE_OR_BRACKET = new Set([0x22, 0x27, 0x3c, 0x3e, 0x60]);
/** A URL whose authority ends: past it, nothing it holds can be a password cut short. */
const HAS_PATH = /:\/\/[^/?#]*[/?#]/;

/** What ends a URL's authority, or the URL itself in text. */
const AUTHORITY_END = /[/?#\s"'<>`]/;

/**
 * `text` cut to `max` characters. A URL cut in its authority (`postgres://app:S3CRET`, cut before
 * `@db`) has lost the `@` that tells a user name and password from a host: all of it is hidden
 * (`postgres://[Redacted]`), so no start of a secret is left, and the marker is cut at `max` too,
 * since a backend may refuse a longer value (New Relic's OTLP intake past 4,095 characters).
 */
export function cutHidingAuthority(text: string, max: number): string {
  const cut = cutText(text, max);
  const scheme = cut.lastIndexOf('://');
  if (scheme === -1 || AUTHORITY_END.test(cut.slice(scheme + 3))) return cut;
  return `${cut.slice(0, scheme + 3)}[Redacted]`.slice(0, max);
}

/**
 * The URL, absolute or not, with its user name, password, its query's secrets and any JSON Web Token
 * it holds (`/reset/eyJ...`) as `[Redacted]`.
 */
export function redactUrl(url: string, isSensitive: (key: string) => boolean): string {
  return withoutTokens(redactQuery(url.includes('://') ? withoutCredentials(url) : url, isSensitive));
}

/** What follows a host's `:`: its port, or nothing. */
const PORT = /^\d*$/;

/** A URL's own scheme, which starts it. */
const OWN_SCHEME = /^[a-z][a-z\d+.-]*:\/\//i;

/** What ends a URL's authority: its path, query or fragment. */
const PATH_START = /[/?#]/g;

/**
 * `https://[Redacted]:[Redacted]@host/` for `https://user:pass@host/`, as OpenTelemetry's conventions
 * write `url.full`. The user name is a credential too: git and npm take a token as one, alone
 * (`https://<token>@github.com/`) or beside a password that is not secret (`<token>:x-oauth-basic`).
 * So are those of each URL given inside it, in its query or path
 * (`https://id.example/login?next=https://ada:...@app.example/`), as a URL's query secrets are.
 * Each character is read a bounded number of times, however many `://` the URL holds.
 */
function withoutCredentials(url: string): string {
  const lastAt = url.lastIndexOf('@');
  if (lastAt === -1) return url;
  const own = OWN_SCHEME.test(url) ? url.indexOf('://') : -1;
  // The URL as written up to `done`, its credentials replaced.
  let out = '';
  let done = 0;
  // The end of the authority last read and its last `@`, kept for the `://` inside it; and the
  // next `@` and `:`, each looked for again only once passed.
  let end = -1;
  let authorityAt = -1;
  let nextAt = -1;
  let colon = -1;
  for (let scheme = url.indexOf('://'); scheme !== -1 && scheme < lastAt; ) {
    const start = scheme + 3;
    if (end < start) {
      PATH_START.lastIndex = start;
      end = PATH_START.exec(url)?.index ?? url.length;
      if (nextAt < start) nextAt = url.indexOf('@', start);
      // Looked for back from the end no further than the next `@`: never before the authority.
      authorityAt = nextAt < end ? url.lastIndexOf('@', end - 1) : -1;
      // A URL given as a query's value ends where the next parameter starts: an `@` in a later one
      // (`?next=https://b.example&contact=ada@c.example`) is no password's end.
      if (authorityAt !== -1 && scheme !== own) {
        end = parameterEnd(url, start, authorityAt, end);
        authorityAt = nextAt < end ? url.lastIndexOf('@', end - 1) : -1;
      }
    }
    if (colon !== url.length && colon < start) {
      colon = url.indexOf(':', start);
      if (colon === -1) colon = url.length;
    }
    let at = authorityAt >= start ? authorityAt : -1;
    // A password written with a `/`, `?` or `#` of its own, unencoded, ends the authority early
    // (`postgres://app:pa/ss@db/orders`), leaving a `:` followed by no port: the credentials run to
    // the URL's last `@`, past its host if that `@` is in the path or query, as hiding too much is
    // the safer loss. An IPv6 host's colons are no password's, nor, in a URL given as a query's
    // value, those of a later parameter (`?next=https://b.example&t=12:00&return=/home`).
    if (at === -1 && colon < end && url.charCodeAt(start) !== OPENING_BRACKET) {
      const authorityEnd = scheme === own ? end : parameterEnd(url, start, end, end);
      if (colon < authorityEnd && !PORT.test(url.slice(colon + 1, authorityEnd))) at = lastAt;
    }
    if (at > start) {
      out += `${url.slice(done, start)}${colon < at ? '[Redacted]:[Redacted]' : '[Redacted]'}`;
      done = at;
    }
    scheme = url.indexOf('://', Math.max(start, done));
  }
  return done === 0 ? url : out + url.slice(done);
}

const OPENING_BRACKET = 0x5b;
const AMPERSAND = 0x26;

/**
 * Where the authority from `start` ends if a `&` in it before `at` starts a parameter (`&name=`),
 * as in a query; `end` if none does (`https://a&b:pass@host`, a user name holding a `&`).
 */
function parameterEnd(url: string, start: number, at: number, end: number): number {
  let amp = -1;
  for (let i = start; i < at; i++) {
    const c = url.charCodeAt(i);
    if (c === AMPERSAND) {
      if (amp === -1) amp = i;
    } else if (c === EQUALS && amp !== -1) return amp;
  }
  return end;
}
