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
    const app = req.app as { get?(setting: string): unknown; request?: unknown } | undefined;
    const trust = typeof app?.get === 'function' ? app.get('trust proxy fn') : undefined;
    if (typeof trust !== 'function' || !trust(req.socket?.remoteAddress, 0)) return undefined;
    const forwardedHost = textOrUndefined(req.headers['x-forwarded-host']);
    const comma = forwardedHost?.indexOf(',') ?? -1;
    // Through the app's own getters: @fastify/express sets `ip` and `protocol` on the request as
    // Fastify reads them, past a proxy its `trustProxy` trusts, which would leave the client and
    // scheme read by Fastify's setting and the host by this app's.
    const own = typeof app?.request === 'object' && app.request !== null ? app.request : req;
    return {
      clientAddress: textOrUndefined(Reflect.get(own, 'ip', req)),
      scheme: httpScheme(Reflect.get(own, 'protocol', req)),
      host: comma === -1 ? forwardedHost : textOrUndefined(forwardedHost?.slice(0, comma).trimEnd()),
    };
  } catch {
    // A setting or getter that throws leaves the connection's own view.
    return undefined;
  }
}
