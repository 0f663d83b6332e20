import type { IncomingMessage } from 'node:http';
import {
  hasForwardingHeaders,
  httpScheme,
  type ProxiedRequest,
  textOrUndefined,
} from '../shared/proxied-request.js';

/** The parts of an Express request its `trust proxy` setting is read through. */
type ExpressRequest = IncomingMessage & { app?: unknown; ip?: unknown; protocol?: unknown };

/**
 * What Express makes of the request's X-Forwarded-* headers under the app's `trust proxy`
 * setting: `req.ip`, `req.protocol` and the host `req.hostname` is read from (its first
 * X-Forwarded-Host, port kept). Undefined when the app does not trust the connection's peer (the
 * default), when no proxy named anything, and under a router used without an app.
 */
export function trustedProxyView(req: ExpressRequest): ProxiedRequest | undefined {
  if (!hasForwardingHeaders(req.headers)) return undefined;
  try {
    const app = req.app as { get?(setting: string): unknown } | undefined;
    const trust = typeof app?.get === 'function' ? app.get('trust proxy fn') : undefined;
    if (typeof trust !== 'function' || !trust(req.socket?.remoteAddress, 0)) return undefined;
    const forwardedHost = textOrUndefined(req.headers['x-forwarded-host']);
    const comma = forwardedHost?.indexOf(',') ?? -1;
    return {
      clientAddress: textOrUndefined(req.ip),
      scheme: httpScheme(req.protocol),
      host: comma === -1 ? forwardedHost : textOrUndefined(forwardedHost?.slice(0, comma).trimEnd()),
    };
  } catch {
    // A setting or getter that throws leaves the connection's own view.
    return undefined;
  }
}
