import { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { types } from 'node:util';
import pino from 'pino';
import { isHeaderPairs } from './header-pairs.js';
import { createNameMatch, createNamePossible } from './name-match.js';
import {
  headerEndingsOf,
  holdsNoSecret,
  isSecretName,
  type NameJudge,
  nameEndingsOf,
} from './secret-names.js';
import { mayHoldToken, redactForm, redactUrl, redactUrlField, redactUrlsIn } from './url-query.js';

/**
 * Field and header names whose values never leave the process, matched case-insensitively, whole
 * or after their last dot; beside them, any name that ends as a credential's does (see
 * `isSecretName`: `session_token`, `clientSecret`, `x-goog-api-key`).
 */
export const DEFAULT_REDACT_KEYS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'dd-api-key',
  'api-key',
  'x-license-key',
  'password',
  'passwd',
  'secret',
  'client_secret',
  'token',
  'access_token',
  'refresh_token',
  'api_key',
  'apikey',
  'license_key',
  'licensekey',
  'auth',
  'bearer',
  // Session cookies' names (Express's connect.sid, Django's, Java's, PHP's): the value is the session.
  'sid',
  'sessionid',
  'jsessionid',
  'phpsessid',
];

export const REDACTED = '[Redacted]';

/**
 * Keys under which an array holds headers as name, value pairs: Node's `rawHeaders` and
 * `rawTrailers`, and `headers` as `http.request()` and undici take and hold them.
 */
const PAIR_KEYS = new Set(['rawHeaders', 'rawTrailers', 'headers', 'trailers']);

/**
 * pino writes a line's objects at any depth, so all it writes is walked, up to this limit that keeps
 * the walk off the stack's end on a pathological line (a long linked list): an object nested deeper
 * is written as pino's fallback serialiser writes one past its own limit.
 */
const MAX_DEPTH = 32;

/** A key's verdict, remembered, and the verdict for a name found among values, not remembered. */
export interface KeyMatcher extends NameJudge {
  /**
   * For a name held as a value (a header's in a list of pairs, an entry's): arrays hold ids and tags
   * by the thousand, which would crowd field names out of the remembered verdicts, and most of them
   * fail the first, allocation-free look.
   */
  readonly amongValues: NameJudge;
}

/**
 * Keys are compared lowercased; `apiKey` and `APIKEY` both match `apikey`. A key that ends as a
 * credential's name does (`x-auth-token`, `privateKey`) matches too.
 */
export function createKeyMatcher(extraKeys: readonly string[] = []): KeyMatcher {
  const keys = new Set([...DEFAULT_REDACT_KEYS, ...extraKeys].map((k) => k.toLowerCase()));
  const matches = (key: string): boolean => {
    if (isSecretName(key) || keys.has(key.toLowerCase())) return true;
    // OpenTelemetry puts headers under attribute names such as http.request.header.authorization.
    const dot = key.lastIndexOf('.');
    return dot !== -1 && keys.has(key.slice(dot + 1).toLowerCase());
  };
  // Attribute and field names come from a small set; remembering the verdict keeps the hot path to one lookup.
  const verdicts = new Map<string, boolean>();
  const remembered = (key: string): boolean => {
    let verdict = verdicts.get(key);
    if (verdict === undefined) {
      verdict = matches(key);
      if (verdicts.size < MAX_VERDICTS && key.length <= MAX_REMEMBERED_KEY)
        verdicts.set(ownCopy(key), verdict);
    }
    return verdict;
  };
  const matchesAscii = createNameMatch(keys);
  const mayBeName = createNamePossible(keys);
  // `matches` judges a name by its ending too: only a name the ASCII look cannot judge goes there.
  const judgeAmongValues = (name: string): boolean => {
    if (!mayBeName(name)) return false;
    const listed = matchesAscii(name);
    return listed === undefined ? matches(name) : listed || isSecretName(name);
  };
  // Header lines in text of a header named here are hidden as a built-in one's are.
  const headerEndings = headerEndingsOf(extraKeys);
  // And a value assigned to any name given, in text (`ssn=...`), as its value in a query is.
  const nameEndings = nameEndingsOf(extraKeys);
  const amongValues = Object.assign(judgeAmongValues, { headerEndings, nameEndings });
  return Object.assign(remembered, { amongValues, headerEndings, nameEndings });
}

/** How many verdicts are remembered. */
const MAX_VERDICTS = 4096;

/**
 * The longest key whose verdict is remembered: no field's or header's name is longer, and the keys
 * of JSON quoted in a message (a map keyed by ids) may be of any length, 100 KB each held 400 MB.
 */
const MAX_REMEMBERED_KEY = 256;

/**
 * The key as a string of its own: one cut from a message (a key of the JSON it quotes, a query's
 * parameter) is a view of the whole message in V8, and remembered it held the message, 100 KB a
 * line for a key of 20 characters, 400 MB over 4,096 lines. Made once per key remembered.
 */
const ownCopy = (key: string): string => (key.length < 13 ? key : JSON.parse(JSON.stringify(key)));

/** Returns the object (or array) with sensitive values replaced, copying only what it must change. */
export type Redactor = (<T extends object>(value: T) => T) & {
  /**
   * The same for an object written as one JSON value (one a message interpolates, `%j`): a field
   * leading back to it is written as `[Circular]`, as that JSON has it, where a line's object has
   * each of its fields written on its own.
   */
  readonly whole: <T extends object>(value: T) => T;
};

/** Replaces sensitive values in a logged object. */
export function createRedactor(isSensitive: KeyMatcher): Redactor {
  const { amongValues } = isSensitive;
  // Copies only the objects on the path to a sensitive key; untouched objects are shared. `done`
  // maps each object walked to what is written in its place, so an object met twice (shared, or
  // a cycle back to one being walked) is never written unredacted; it is only made once the walk
  // goes below the top level. The line's own object is not in it: pino writes each of its fields
  // on its own, so a field leading back to it is written once more, as the walk below does.
  // A URL in any string (an HTTP client's config's baseURL, a connection string, a path with a
  // query) or URL object is written with its user name, password and query's secrets hidden; under
  // a key named as a URL, path or query (`url`, `path`, `originalUrl`), whatever it holds. A string
  // without `:` or `=` costs two looks for a character.
  const walk = (
    obj: Record<string, unknown>,
    depth: number,
    done: Walked | undefined,
  ): Record<string, unknown> => {
    let out: Record<string, unknown> | undefined;
    for (const key in obj) {
      if (!Object.hasOwn(obj, key)) continue;
      let value: unknown;
      try {
        value = obj[key];
      } catch {
        continue;
      }
      let next: unknown = value;
      if (isSensitive(key)) {
        if (value !== undefined && value !== null && !holdsNoSecret(key, value)) next = REDACTED;
      } else if (typeof value === 'string') {
        if (key === 'data' || key === 'body') next = body(value);
        else next = redactUrlField(key, value, isSensitive) ?? redactUrlsIn(value, isSensitive);
      } else if (value !== null && typeof value === 'object') {
        done ??= newWalked();
        next =
          PAIR_KEYS.has(key) && Array.isArray(value)
            ? rawPairs(value, depth, done)
            : inner(value, depth, done);
      }
      if (next !== value) {
        out ??= copy(obj);
        setOwn(out, key, next);
      }
    }
    return out ?? obj;
  };

  /**
   * A request body under `data` or `body`, as an HTTP client holds it once sent (axios's
   * `config.data`, got's `options.body`): JSON, written with its keys to hide hidden, or a form, as
   * a query is; any other text as any string is. Only text under those keys pays for the look.
   * Its names are data (a form's fields, a payload's ids by the thousand): judged as names among
   * values are, they never crowd the field names out of the remembered verdicts, which left every
   * line after one such body paying a full look at each of its keys.
   */
  const body = (text: string): string => {
    if (text.length > MAX_BODY) return redactUrlsIn(text, amongValues);
    const first = text.charCodeAt(0);
    if (first === OPENING_BRACE || first === OPENING_BRACKET) {
      // Most bodies (a webhook's payload, a list of orders) hold nothing to hide: a scan tells so
      // without parsing and walking them, and they are written as given, never as their JSON
      // written anew (cut where it nests deeper than the walk goes).
      if (!mayHoldNameToHide(text, amongValues)) return text;
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return redactUrlsIn(text, amongValues);
      }
      if (json === null || typeof json !== 'object') return text;
      const clean = inBody()(json);
      return clean === json ? text : JSON.stringify(clean);
    }
    if (!text.includes('=')) return redactUrlsIn(text, amongValues);
    const clean = redactForm(text, amongValues);
    return clean === text ? redactUrlsIn(text, amongValues) : clean;
  };
  let bodyRedactor: Redactor | undefined;
  /** Made on the first body that holds a name to hide: it walks what the body holds with `amongValues`. */
  const inBody = (): Redactor =>
    (bodyRedactor ??= createRedactor(
      Object.assign((name: string) => amongValues(name), {
        amongValues,
        headerEndings: amongValues.headerEndings,
        nameEndings: amongValues.nameEndings,
      }),
    ));

  const walkArray = (arr: readonly unknown[], depth: number, done: Walked): unknown[] => {
    let out: unknown[] | undefined;
    for (let i = 0; i < arr.length; i++) {
      let value: unknown;
      try {
        value = arr[i];
      } catch {
        continue;
      }
      let next: unknown = value;
      if (typeof value === 'string') next = redactUrlsIn(value, isSensitive);
      else if (value !== null && typeof value === 'object') next = inner(value, depth, done);
      if (next !== value) {
        out ??= copyArray(arr);
        out[i] = next;
      }
    }
    return hideNamed(out ?? (arr as unknown[]), arr);
  };

  /**
   * Headers as pairs or entries, the value of each name to hide hidden; any other array as walked.
   * Most arrays (ids, tags) hold no name to hide, which a look at each name tells sooner than
   * telling whether they are headers at all.
   */
  const hideNamed = (walked: unknown[], given: readonly unknown[]): unknown[] => {
    const first = walked[0];
    if (typeof first === 'string')
      return hasPairNameToHide(walked) && isHeaderPairs(walked, amongValues)
        ? hidePairs(walked, given)
        : walked;
    return Array.isArray(first) && isEntries(walked) ? hideEntries(walked, given) : walked;
  };

  /** Whether a name in an even place is to hide, before one that no header name could be (no string). */
  const hasPairNameToHide = (arr: readonly unknown[]): boolean => {
    if (arr.length % 2 !== 0) return false;
    for (let i = 0; i < arr.length; i += 2) {
      const name = arr[i];
      if (typeof name !== 'string') return false;
      if (amongValues(name)) return true;
    }
    return false;
  };

  /**
   * Headers under a key that holds them as name, value pairs (`rawHeaders`, as a serializer given
   * the request itself may return them; `headers`, as undici holds a request's): the value after a
   * name to hide is hidden.
   */
  const rawPairs = (pairs: readonly unknown[], depth: number, done: Walked): unknown => {
    const walked = inner(pairs, depth, done);
    return Array.isArray(walked) ? hidePairs(walked, pairs) : walked;
  };

  /** `walked` with the value after each name to hide hidden; `given`, the array walked, is never changed. */
  const hidePairs = (walked: unknown[], given: readonly unknown[]): unknown[] => {
    let out: unknown[] | undefined;
    for (let i = 0; i + 1 < walked.length; i += 2) {
      const name: unknown = walked[i];
      if (typeof name !== 'string' || !amongValues(name) || walked[i + 1] == null) continue;
      out ??= walked === given ? copyArray(walked) : walked;
      out[i + 1] = REDACTED;
    }
    return out ?? walked;
  };

  /**
   * `walked` with the value of each entry whose name is to hide hidden, whatever it is: an entry
   * alone cannot tell a header's value from a header name (an API key `abc123`), nor is a value
   * held as a list (`set-cookie`) one; the object the entries came from has it hidden too.
   */
  const hideEntries = (walked: unknown[], given: readonly unknown[]): unknown[] => {
    let out: unknown[] | undefined;
    for (let i = 0; i < walked.length; i++) {
      const entry = walked[i] as unknown[];
      const value = entry[1];
      if (!amongValues(entry[0] as string) || value == null || value === REDACTED) continue;
      out ??= walked === given ? copyArray(walked) : walked;
      out[i] = [entry[0], REDACTED];
    }
    return out ?? walked;
  };

  /**
   * What is written for `value`, found at `depth`. A Node request or response is written as
   * pino's summary of it: method, url, headers and remote address; status and headers (a response
   * a client received as an incoming message too). As it stands, a message holds its headers again
   * in `rawHeaders`, and its socket leads to the whole server. A framework's request or reply
   * holding one as `raw` (Fastify's) is written as its summary too, through a view that the
   * framework's serializer reads as the object itself: a copy would lose its prototype's getters.
   *
   * An error is walked by its fields at any depth, as pino writes it for `err`; a copy keeps its
   * prototype, so a `toJSON` of its class (axios's) reads the redacted fields when it is written
   * under another key. An object written as its JSON (axios's headers) is walked as that JSON at
   * any depth: an HTTP client's error holds its request's headers that way, below the top levels.
   */
  const inner = (value: object, depth: number, done: Walked): unknown => {
    if (depth >= MAX_DEPTH) return Array.isArray(value) ? '[Array]' : '[Object]';
    const prior = done.get(value);
    if (prior === WALKING) return CIRCULAR;
    // Met before at this depth or above, so walked at least as deep as it must be now.
    if (prior !== undefined && prior.depth <= depth) return prior.next;
    const isArray = Array.isArray(value);
    const plain = isArray || isPlain(value);
    let target: object = value;
    if (!plain) {
      if (isError(value)) return walkError(value, depth, done);
      if (value instanceof ClientRequest) target = outgoingSummary(value);
      else if (value instanceof IncomingMessage)
        target = value.statusCode === null ? requestSummary(value) : receivedSummary(value);
      else if (isInjectedRequest(value)) target = requestSummary(value);
      else if (value instanceof ServerResponse) target = pino.stdSerializers.res(value);
      // pino's own summary of a request, made before the line reaches the redactor when a request
      // is given as the line's object (`log.info(req)`), is data, walked as plain objects are.
      else if (Object.getPrototypeOf(value) !== PINO_REQUEST_SUMMARY) {
        const summary = summaryOfWrapper(value, requestSummary);
        if (summary !== undefined) return viaSummary(value, summary, depth, done);
        if (value instanceof Date || ArrayBuffer.isView(value)) return value;
        if (value instanceof URL) {
          const clean = redactUrl(value.href, isSensitive);
          return clean === value.href ? value : clean;
        }
        if (typeof (value as { toJSON?: unknown }).toJSON === 'function')
          return viaToJSON(value, depth, done);
        if (depth > 1) return value;
      }
    }
    done.set(value, WALKING);
    const next = isArray
      ? walkArray(value as unknown[], depth + 1, done)
      : walk(target as Record<string, unknown>, depth + 1, done);
    done.set(value, { depth, next });
    return next;
  };

  /** How many causes and gathered errors lead from the line's first error to the one walked. */
  let links = 0;
  const linked = <T>(walkLink: () => T): T => {
    links++;
    try {
      return walkLink();
    } finally {
      links--;
    }
  };

  /**
   * An error's fields, and what pino writes of it though JSON leaves it out: its message and stack,
   * with the URLs they quote redacted; its cause's, which pino adds to them; and the errors it
   * gathers (an AggregateError's, as `aggregateErrors`). A cause and gathered errors are walked at
   * the error's own depth, as its fields are: each is an error of its own, such as an HTTP client's.
   */
  const walkError = (err: Error, depth: number, done: Walked): unknown => {
    done.set(err, WALKING);
    let next = walk(err as unknown as Record<string, unknown>, depth + 1, done);
    const replace = (key: string, value: unknown) => {
      if (next === (err as unknown)) next = copy(next);
      Object.defineProperty(next, key, { value, writable: true, configurable: true });
    };
    for (const key of ERROR_TEXTS) {
      const text = ownField(next, key);
      if (typeof text !== 'string') continue;
      const clean = redactUrlsIn(text, isSensitive);
      if (clean !== text) replace(key, clean);
    }
    // Past MAX_DEPTH errors down a chain (a retry loop that wraps its last error each time), the
    // chain is cut there: pino writes every cause's message and stack into the line, and a chain
    // thousands long took the walk off the stack's end, losing the line.
    const cut = links >= MAX_DEPTH;
    // pino writes the message and stack of any cause that has a string message: a plain object's
    // (a serialised error), an error of another realm's (a vm context, Jest's test environment).
    const cause = ownField(err, 'cause');
    if (cause !== null && typeof cause === 'object') {
      const clean = cut ? undefined : linked(() => inner(cause, depth, done));
      // A chain that comes back on itself ends here: it would lead back to the errors as given.
      if (clean !== cause) replace('cause', clean === CIRCULAR ? undefined : clean);
    }
    const gathered = ownField(err, 'errors');
    if (Array.isArray(gathered)) {
      const clean = cut ? undefined : linked(() => walkArray(gathered, depth, done));
      if (clean !== gathered) replace('errors', clean);
    }
    done.set(err, { depth, next });
    return next;
  };

  /**
   * An object with `toJSON` is written as what that returns, which may leave fields out: its own
   * fields must not be copied into the line. Only when its JSON has a key to hide does the line
   * get that JSON, redacted; otherwise the object stays, and pino calls `toJSON` as it writes.
   */
  const viaToJSON = (value: object, depth: number, done: Walked): unknown => {
    let json: unknown;
    try {
      json = (value as { toJSON(): unknown }).toJSON();
    } catch {
      return value;
    }
    if (json === null || typeof json !== 'object') return value;
    const next = inner(json, depth, done);
    return next === json ? value : next;
  };

  /**
   * The wrapper's summary, redacted, on an object whose prototype is the wrapper: written, it is
   * the summary (its own fields); read by a serializer, it answers as the wrapper does, but for the
   * summary's fields (the redacted headers).
   */
  const viaSummary = (value: object, summary: object, depth: number, done: Walked): unknown => {
    done.set(value, WALKING);
    const fields = walk(summary as Record<string, unknown>, depth + 1, done);
    const view = Object.create(value) as Record<string, unknown>;
    for (const key of Object.keys(fields)) setOwn(view, key, fields[key]);
    done.set(value, { depth, next: view });
    return view;
  };

  /**
   * pino's summary of a request (or of a framework's, read through it); its URL is redacted as
   * any `url` is. A parsed query or params object may be of a class of its own (Fastify's query
   * has a prototype without Object's): it is data, redacted at any depth as plain objects are.
   */
  const requestSummary = (req: object): object => {
    const summary = pino.stdSerializers.req(req as IncomingMessage);
    const { query, params } = summary as { query?: unknown; params?: unknown };
    if (isDataOfClass(query)) summary.query = { ...query };
    if (isDataOfClass(params)) summary.params = { ...params };
    return summary;
  };

  /**
   * An outgoing request, wherever it is: HTTP clients hold it in their errors (axios as `request`),
   * and as it stands it carries the headers it sent, credentials included, as one string.
   */
  const outgoingSummary = (req: ClientRequest): object => ({
    method: req.method,
    host: req.host,
    path: redactUrl(req.path, isSensitive),
    headers: req.getHeaders(),
  });

  /** A response a client received (HTTP clients' errors hold it, got's as `response`). */
  const receivedSummary = (res: IncomingMessage): object => ({
    statusCode: res.statusCode,
    headers: res.headers,
  });

  // A line's object is plain but for rare calls; only those pay for the map up front.
  const redactLine = <T extends object>(value: T): T =>
    (isPlain(value)
      ? walk(value as Record<string, unknown>, 0, undefined)
      : inner(value, -1, newWalked())) as T;
  return Object.assign(redactLine, {
    whole: <T extends object>(value: T): T => inner(value, -1, newWalked()) as T,
  });
}

/**
 * pino's summary of a framework's request (read through the framework's object, so its id, params
 * and query are in it) or reply that holds the Node message as `raw`; undefined for anything else.
 */
function summaryOfWrapper(value: object, requestSummary: (req: object) => object): object | undefined {
  try {
    // Its own: pino's summaries reach their request through a getter.
    if (!Object.hasOwn(value, 'raw')) return undefined;
    const raw = (value as { raw?: unknown }).raw;
    if (raw instanceof IncomingMessage || isInjectedRequest(raw)) return requestSummary(value);
    if (!(raw instanceof ServerResponse)) return undefined;
    // The reply's own headers include those it has not passed to the response yet.
    const own = (value as { getHeaders?: unknown }).getHeaders;
    return {
      statusCode: raw.statusCode,
      headers: typeof own === 'function' ? own.call(value) : raw.getHeaders(),
    };
  } catch {
    return undefined;
  }
}

/**
 * The request Fastify's `inject()` hands its routes (light-my-request's, no `IncomingMessage`),
 * so a test's lines hold the summary production's do, not its `rawHeaders` and the server behind it.
 */
function isInjectedRequest(value: unknown): boolean {
  try {
    return value instanceof Readable && (value as { isLightMyRequest?: unknown }).isLightMyRequest === true;
  } catch {
    return false;
  }
}

/**
 * A list of entries, as `Object.entries()` gives an object's (a request's headers) and a `Map`
 * spread does: each a name, then its value.
 */
function isEntries(arr: readonly unknown[]): boolean {
  if (arr.length === 0 || !Array.isArray(arr[0])) return false;
  for (const entry of arr) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string') return false;
  }
  return true;
}

/**
 * A body longer than this is written as any text is: parsing or copying it would cost the line more
 * than the rest of it; its URLs' secrets are still hidden, its fields' are not.
 */
const MAX_BODY = 64 * 1024;
const OPENING_BRACE = 0x7b;
const OPENING_BRACKET = 0x5b;

/** Keys whose text the walk reads: a request's URL, and a body held within a body. */
const READ_AS_TEXT = new Set(['url', 'data', 'body']);
const BACKSLASH = 0x5c;

/**
 * Whether JSON text may hold what the walk would hide: a URL, a JSON Web Token (under any name: App
 * Store's notifications send one as `signedPayload`), or a string before a colon (a key)
 * or a comma (a header's name in a list of pairs or entries) that is a name to hide or a key read
 * as text. Strings are found quote to quote, as JSON has no quote outside them; one with an escape
 * in it is taken to be such a name, as only parsing reads it. A value that ends so costs a parse
 * that finds nothing, no more.
 */
function mayHoldNameToHide(text: string, isName: (name: string) => boolean): boolean {
  if (text.includes('://') || mayHoldToken(text)) return true;
  for (let open = text.indexOf('"'); open !== -1; ) {
    const close = text.indexOf('"', open + 1);
    if (close === -1) return false;
    if (text.charCodeAt(close - 1) === BACKSLASH) return true;
    let after = close + 1;
    while (isJsonSpace(text.charCodeAt(after))) after++;
    const next = text.charCodeAt(after);
    if (next === COLON || next === COMMA) {
      const name = text.slice(open + 1, close);
      if (name.includes('\\') || READ_AS_TEXT.has(name) || isName(name)) return true;
    }
    open = text.indexOf('"', close + 1);
  }
  return false;
}

const COLON = 0x3a;
const COMMA = 0x2c;
const isJsonSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** An error's texts that pino writes: each may quote a URL. */
const ERROR_TEXTS = ['message', 'stack'] as const;

/** An own field of an error, enumerable or not; undefined if it has none or its getter throws. */
function ownField(obj: object, key: string): unknown {
  try {
    return Object.hasOwn(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
  } catch {
    return undefined;
  }
}

/** An error of this realm or another's (a vm context's, Jest's test environment's). */
export function isError(value: object): value is Error {
  return value instanceof Error || types.isNativeError(value);
}

/** The prototype of pino's request summaries. */
const PINO_REQUEST_SUMMARY: unknown = Object.getPrototypeOf(pino.stdSerializers.req({} as IncomingMessage));

/** Marks an object whose walk has not finished: meeting it again means a cycle. */
const WALKING = Symbol('walking');
/** Each object walked in a line: what is written in its place, and the depth it was walked from. */
type Walked = Map<object, typeof WALKING | { readonly depth: number; readonly next: unknown }>;
const newWalked = (): Walked => new Map();
/** What pino writes for a reference back to an object it is writing. */
const CIRCULAR = '[Circular]';

/**
 * Plain objects and arrays are walked at any depth; an instance of a class (a socket, a framework
 * object) only near the top of the logged object: the walk never wanders through a socket's or
 * server's object graph, which cost more than the rest of the line on Fastify's request lines.
 */
function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const isDataOfClass = (value: unknown): value is object =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !isPlain(value);

/**
 * The object's own fields on a new object; a field whose getter throws is left out. An error's
 * copy keeps its class and the fields it keeps out of JSON, still out of it: pino reads its message,
 * stack and cause by name, and an HTTP client's error (got's) hides its request and response.
 */
function copy(obj: Record<string, unknown>): Record<string, unknown> {
  if (isError(obj)) {
    const e = Object.create(Object.getPrototypeOf(obj)) as Record<string, unknown>;
    for (const k of Object.getOwnPropertyNames(obj)) {
      copyField(e, obj, k);
      if (!Object.prototype.propertyIsEnumerable.call(obj, k) && Object.hasOwn(e, k))
        Object.defineProperty(e, k, { enumerable: false });
    }
    return e;
  }
  const out: Record<string, unknown> = {};
  for (const k in obj) if (Object.hasOwn(obj, k)) copyField(out, obj, k);
  return out;
}

function copyArray(arr: readonly unknown[]): unknown[] {
  const out = new Array<unknown>(arr.length);
  // An index is never `__proto__`: plain assignment, several times cheaper than defining each one.
  for (let i = 0; i < arr.length; i++) {
    try {
      out[i] = arr[i];
    } catch {
      // Written without it; the walk skipped it too.
    }
  }
  return out;
}

function copyField(target: Record<string, unknown>, source: object, key: string): void {
  try {
    setOwn(target, key, (source as Record<string, unknown>)[key]);
  } catch {
    // Written without it; the walk skipped it too.
  }
}

/** Defines rather than assigns, so a key named `__proto__` stays data and never reaches a prototype. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
