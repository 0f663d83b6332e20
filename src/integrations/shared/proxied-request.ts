import type { IncomingHttpHeaders } from 'node:http';

/**
 * What an app told to trust the proxy a request came through (Express's `trust proxy`, Fastify's
 * `trustProxy`) takes from its X-Forwarded-* headers, as the app itself sees the request.
 */
export interface ProxiedRequest {
  /** The client past every trusted proxy (`req.ip`). */
  clientAddress?: string | undefined;
  /** The scheme the client used (`req.protocol`). */
  scheme?: 'http' | 'https' | undefined;
  /** The host the client asked for, with its port if it named one. */
  host?: string | undefined;
}

/** Whether a proxy named the client, scheme or host: the frameworks read no other header for them. */
export function hasForwardingHeaders(headers: IncomingHttpHeaders): boolean {
  return (
    headers['x-forwarded-for'] !== undefined ||
    headers['x-forwarded-proto'] !== undefined ||
    headers['x-forwarded-host'] !== undefined
  );
}

/**
 * A scheme HTTP is served over, or undefined: `url.scheme` names a series of
 * `http.server.active_requests`, and a header may say anything.
 */
export function httpScheme(value: unknown): 'http' | 'https' | undefined {
  if (typeof value !== 'string') return undefined;
  const scheme = value.toLowerCase();
  return scheme === 'http' || scheme === 'https' ? scheme : undefined;
}

/** A non-empty string, or undefined. */
export function textOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
