import { cutText } from '../internal/cut-text.js';

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
 * The URL with the value of each query parameter named in the redaction list, or signing it,
 * replaced by `[Redacted]` (`/login?token=[Redacted]&next=/`); the same string, with nothing
 * allocated but the names looked up, when there is nothing to hide.
 */
export function redactQuery(url: string, isSensitive: (key: string) => boolean): string {
  const start = url.indexOf('?');
  if (start === -1) return url;
  const hash = url.indexOf('#', start);
  const end = hash === -1 ? url.length : hash;
  // The URL as written up to `done`, its secret values replaced.
  let out = '';
  let done = 0;
  let eq = start;
  for (let from = start + 1; from < end; ) {
    let amp = url.indexOf('&', from);
    if (amp === -1 || amp > end) amp = end;
    if (eq < from) eq = url.indexOf('=', from);
    if (eq === -1) break;
    if (eq < amp) {
      const name = ownName(decodeName(url.slice(from, eq)));
      if (isSensitive(name) || SIGNATURE_PARAMS.has(name.toLowerCase())) {
        out += `${url.slice(done, eq + 1)}[Redacted]`;
        done = amp;
      }
    }
    from = amp + 1;
  }
  return done === 0 ? url : out + url.slice(done);
}

/** A parameter name as the server reads it (`api%5Fkey` is `api_key`); as written if malformed. */
function decodeName(name: string): string {
  if (!name.includes('%') && !name.includes('+')) return name;
  try {
    return decodeURIComponent(name.replaceAll('+', ' '));
  } catch {
    return name;
  }
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

/** A URL in text: a scheme, `://`, and all that follows up to a space, a quote or a bracket. */
const URL_IN_TEXT = /[a-z][a-z\d+.-]*:\/\/[^\s"'<>`]+/gi;

/**
 * The text with each URL in it written as {@link redactQuery} writes it, its user name and password,
 * if any, as `[Redacted]` too; the same string when there is nothing to hide. HTTP clients' errors
 * quote the URL they were given (`fetch` refusing one with credentials, got the one whose response
 * it refused), and so do the messages made from them. Every line's message is read: text without
 * `://`, or without `@` or `?` after it, where a URL keeps its secrets, costs a look or three.
 */
export function redactUrlsIn(text: string, isSensitive: (key: string) => boolean): string {
  const first = text.indexOf('://');
  if (first === -1 || (text.indexOf('@', first) === -1 && text.indexOf('?', first) === -1)) return text;
  // The text as written up to `done`, its URLs' secrets replaced.
  let out = '';
  let done = 0;
  URL_IN_TEXT.lastIndex = 0;
  for (let found = URL_IN_TEXT.exec(text); found !== null; found = URL_IN_TEXT.exec(text)) {
    const url = found[0];
    const clean = redactQuery(withoutCredentials(url), isSensitive);
    if (clean === url) continue;
    out += text.slice(done, found.index) + clean;
    done = found.index + url.length;
  }
  return done === 0 ? text : out + text.slice(done);
}

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

/** The URL, absolute or not, with its user name, password and its query's secrets as `[Redacted]`. */
export function redactUrl(url: string, isSensitive: (key: string) => boolean): string {
  return redactQuery(url.includes('://') ? withoutCredentials(url) : url, isSensitive);
}

/**
 * `https://[Redacted]:[Redacted]@host/` for `https://user:pass@host/`, as OpenTelemetry's conventions
 * write `url.full`. The user name is a credential too: git and npm take a token as one, alone
 * (`https://<token>@github.com/`) or beside a password that is not secret (`<token>:x-oauth-basic`).
 */
function withoutCredentials(url: string): string {
  if (!url.includes('@')) return url;
  const start = url.indexOf('://') + 3;
  const path = url.slice(start).search(/[/?#]/);
  const authority = url.slice(start, path === -1 ? url.length : start + path);
  const at = authority.lastIndexOf('@');
  if (at <= 0) return url;
  const colon = authority.indexOf(':');
  const hidden = colon === -1 || colon > at ? '[Redacted]' : '[Redacted]:[Redacted]';
  return `${url.slice(0, start)}${hidden}${url.slice(start + at)}`;
}
