/** A header name as HTTP defines it (a token): a list of names has no other entries. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A name in headers held as pairs: a header name, or an HTTP/2 pseudo-header's (`:path`), which Node's come first in. */
const PAIR_NAME = /^:?[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Headers as name, value pairs wherever they are (Node's `rawHeaders` given as the line, or under a
 * key of the caller's, an HTTP/2 request's with its pseudo-headers; `Object.entries(req.headers)`'s
 * pairs): an even number of entries, each even one a header name, and some value no header name
 * could be (`Bearer …`, `sid=…`, `host:port`), which tells them from a list of header names (a CORS
 * configuration's `['Authorization', 'Content-Type']`), or else pairs of one-word values.
 */
export function isHeaderPairs(arr: readonly unknown[], toHide: (name: string) => boolean): boolean {
  if (arr.length < 2 || arr.length % 2 !== 0 || typeof arr[0] !== 'string') return false;
  let valueSeen = false;
  for (let i = 0; i < arr.length; i += 2) {
    const name = arr[i];
    if (typeof name !== 'string' || !PAIR_NAME.test(name)) return false;
    const value = arr[i + 1];
    if (!valueSeen && typeof value === 'string') valueSeen = !HEADER_NAME.test(value);
  }
  return valueSeen || isOneWordPairs(arr as readonly string[], toHide);
}

/** A header name as lists of them hold one: words joined by `-` (`X-Request-Id`). */
const HYPHENATED_NAME = /^[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z][A-Za-z0-9]*)+$/;
/** Header names of one word, standard ones and HTTP/2's pseudo-headers, lowercased. */
const ONE_WORD_NAMES = new Set(
  [
    'accept age allow authorization baggage connection cookie date dnt etag expect expires forwarded',
    'from host link location origin pragma priority range referer server te trailer traceparent',
    'tracestate upgrade vary via warning :authority :method :path :protocol :scheme :status',
  ]
    .join(' ')
    .split(' '),
);

const looksLikeHeaderName = (text: unknown): boolean =>
  typeof text === 'string' && (HYPHENATED_NAME.test(text) || ONE_WORD_NAMES.has(text.toLowerCase()));

/**
 * A key or token sent as one word holds a digit (`abc123`); the words of a list that only starts
 * with a header name to hide do not (`['authorization', 'billing', 'user-profile', …]`,
 * `['api-key', 'oauth']`, a CORS list's `['Authorization', 'Prefer', …]`).
 */
const DIGIT = /\d/;
const looksLikeKey = (text: unknown): boolean =>
  typeof text === 'string' && DIGIT.test(text) && !looksLikeHeaderName(text);

/**
 * Header pairs whose every value is one word (an API key `abc123`, a host `svc`), told by their
 * names: each looks like a header's, as a list of words' do not (`['password', 'reset']`), and a
 * name to hide is followed by what looks like a key, as in a list of header names or words none
 * does; a lone pair only under a hyphenated name (`x-api-key`), as `['cookie', 'monster']` is words.
 */
function isOneWordPairs(arr: readonly string[], toHide: (name: string) => boolean): boolean {
  let valueToHide = false;
  let hyphenated = false;
  for (let i = 0; i < arr.length; i += 2) {
    const name = arr[i] as string;
    if (!looksLikeHeaderName(name)) return false;
    hyphenated ||= name.includes('-');
    valueToHide ||= toHide(name) && looksLikeKey(arr[i + 1]);
  }
  return valueToHide && (arr.length >= 4 || hyphenated);
}
