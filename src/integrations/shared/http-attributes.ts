import type { Attributes } from '@opentelemetry/api';

const KNOWN_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
  'QUERY',
]);

/**
 * The method as the semantic conventions want it: known methods as they are, anything else
 * folded into `_OTHER` so a client sending random verbs cannot blow up metric cardinality.
 */
export function normalizeMethod(method: string | undefined): string {
  if (method === undefined) return 'GET';
  if (KNOWN_METHODS.has(method)) return method;
  const upper = method.toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : '_OTHER';
}

/** Writes `http.request.method` (and `http.request.method_original` when it was folded). */
export function setMethodAttributes(
  attributes: Attributes,
  raw: string | undefined,
  normalized: string,
): void {
  attributes['http.request.method'] = normalized;
  if (raw !== undefined && raw !== normalized) attributes['http.request.method_original'] = raw;
}

/** Splits a `Host` header (`name`, `name:port`, `[v6]:port`) into address and port. */
export function parseHost(host: string | undefined, defaultPort: number): { address?: string; port: number } {
  if (!host) return { port: defaultPort };
  let address = host;
  let portText: string | undefined;
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end > 0) {
      address = host.slice(1, end);
      if (host[end + 1] === ':') portText = host.slice(end + 2);
    }
  } else {
    const colon = host.lastIndexOf(':');
    if (colon > 0) {
      address = host.slice(0, colon);
      portText = host.slice(colon + 1);
    }
  }
  const port = portText ? Number(portText) : defaultPort;
  return { address, port: Number.isInteger(port) && port > 0 && port < 65536 ? port : defaultPort };
}

// The scheme and authority of a request target in absolute form.
const ORIGIN = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;

/**
 * The path of a request target, without the query string or fragment. A target in absolute form
 * (`GET http://host/path`, which a server must accept and which clients send through a proxy) is
 * cut to its path, the one the frameworks route.
 */
export function requestPath(target: string): string {
  const q = target.indexOf('?');
  const h = target.indexOf('#');
  const end = q === -1 ? h : h === -1 ? q : Math.min(q, h);
  const path = end === -1 ? target : target.slice(0, end);
  if (path.startsWith('/')) return path;
  const origin = ORIGIN.exec(path);
  return origin === null ? path : path.slice(origin[0].length) || '/';
}

/**
 * A short, low-cardinality name for an error: its class name, or its `code` for system errors;
 * `_OTHER` for one that has neither, or whose fields cannot be read (a getter that throws, a
 * revoked proxy), since this is read as the response ends, where a throw would crash the process.
 */
export function errorTypeOf(error: unknown): string {
  if (error && typeof error === 'object') {
    try {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,63}$/.test(code)) return code;
      const name = (error as { name?: unknown }).name;
      if (typeof name === 'string' && name.length > 0 && name.length <= 64) return name;
      const ctor = (error as { constructor?: { name?: unknown } }).constructor?.name;
      if (typeof ctor === 'string' && ctor.length > 0) return ctor;
    } catch {
      // Falls through to _OTHER.
    }
  }
  return '_OTHER';
}
