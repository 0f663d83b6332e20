/** Field and header names whose values never leave the process, matched case-insensitively. */
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
];

export const REDACTED = '[Redacted]';

const MAX_DEPTH = 4;

/** Keys are compared lowercased; `apiKey` and `APIKEY` both match `apikey`. */
export function createKeyMatcher(extraKeys: readonly string[] = []): (key: string) => boolean {
  const keys = new Set([...DEFAULT_REDACT_KEYS, ...extraKeys].map((k) => k.toLowerCase()));
  const matches = (key: string): boolean => {
    if (keys.has(key.toLowerCase())) return true;
    // OpenTelemetry puts headers under attribute names such as http.request.header.authorization.
    const dot = key.lastIndexOf('.');
    return dot !== -1 && keys.has(key.slice(dot + 1).toLowerCase());
  };
  // Attribute and field names come from a small set; remembering the verdict keeps the hot path to one lookup.
  const verdicts = new Map<string, boolean>();
  return (key) => {
    let verdict = verdicts.get(key);
    if (verdict === undefined) {
      verdict = matches(key);
      if (verdicts.size < 4096) verdicts.set(key, verdict);
    }
    return verdict;
  };
}

/** Replaces sensitive values in a logged object; `isSensitive` is a {@link createKeyMatcher}. */
export function createRedactor(
  isSensitive: (key: string) => boolean,
): (obj: Record<string, unknown>) => Record<string, unknown> {
  // Copies only the objects on the path to a sensitive key; untouched objects are shared. The
  // `seen` set, against cycles, is only made once the walk goes below the top level.
  const walk = (
    obj: Record<string, unknown>,
    depth: number,
    seen: Set<object> | undefined,
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
        if (value !== undefined && value !== null) next = REDACTED;
      } else if (depth < MAX_DEPTH && value !== null && typeof value === 'object' && walkable(value, depth)) {
        const visited = seen ?? new Set<object>([obj]);
        seen = visited;
        if (!visited.has(value)) {
          visited.add(value);
          next = walk(value as Record<string, unknown>, depth + 1, visited);
        }
      }
      if (next !== value) {
        out ??= copy(obj);
        setOwn(out, key, next);
      }
    }
    return out ?? obj;
  };

  return (obj) => walk(obj, 0, undefined);
}

/**
 * Plain objects are walked at any depth; an instance of a class (a request, a socket, a framework
 * object) only near the top of the logged object. `{ req }` and `{ ctx: { req } }` still have
 * `req.headers` redacted, but the walk never wanders through a socket's or server's object graph,
 * which cost more than the rest of the line on Fastify's request lines.
 */
function walkable(value: object, depth: number): boolean {
  if (Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null || depth <= 1;
}

function copy(obj: Record<string, unknown>): Record<string, unknown> {
  if (obj instanceof Error) {
    const e = Object.create(Object.getPrototypeOf(obj)) as Record<string, unknown>;
    for (const k of Object.getOwnPropertyNames(obj)) setOwn(e, k, obj[k]);
    return e;
  }
  const out: Record<string, unknown> = {};
  for (const k in obj) if (Object.hasOwn(obj, k)) setOwn(out, k, obj[k]);
  return out;
}

/** Defines rather than assigns, so a key named `__proto__` stays data and never reaches a prototype. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
