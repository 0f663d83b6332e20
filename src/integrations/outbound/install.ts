import diagnosticsChannel from 'node:diagnostics_channel';
import type { Sightline } from '../../api/types.js';
import { onHttpRequestCreated, onHttpRequestError, onHttpResponseFinish } from './node-http-channels.js';
import { onUndiciCreate, onUndiciError, onUndiciHeaders, onUndiciTrailers } from './undici-channels.js';

/** One installation per process, shared by duplicate package copies (ESM and CJS). */
const SLOT = Symbol.for('sightline.outbound.v1');

/**
 * Told of each new installation, which the others then give way to. A test runner's module sandbox
 * (Jest's, one per test file) has a global object of its own, where the slot is not seen, while
 * diagnostics_channel is the process's: an installation of an earlier test file that never shut
 * down would trace every later call too, and send its own traceparent ahead of the current one's.
 */
const INSTALLED = 'sightline:outbound:installed';

interface Installation {
  obs: Sightline;
  readonly uninstall: () => void;
}

type Handler = (message: unknown, name: string | symbol) => void;

function slotHolder(): Record<symbol, Installation | undefined> {
  return globalThis as unknown as Record<symbol, Installation | undefined>;
}

/**
 * Traces outgoing HTTP calls made with the global `fetch` (undici) and the `node:http` /
 * `node:https` clients, through Node's `diagnostics_channel` (nothing is patched): a CLIENT span
 * per call (`http.request.method`, `url.full` without the query string, `server.address`,
 * `server.port`, `http.response.status_code`, `error.type`), the `http.client.request.duration`
 * metric (seconds), and W3C `traceparent`/`tracestate`/`baggage` headers so the called service
 * continues the same trace. Calls made while tracing is suppressed are left alone.
 *
 * `init()` calls it unless `outbound: false`. Installing twice keeps one set of subscriptions
 * (the latest instance is used); the returned function removes them. `node:http` calls are
 * traced on Node 22.12+ (the first with a channel where headers can still be set).
 *
 * @example
 * ```ts
 * const uninstall = installOutboundHttp(obs);
 * await fetch('http://inventory:3001/items/42'); // a CLIENT span, with traceparent sent
 * uninstall();
 * ```
 */
export function installOutboundHttp(obs: Sightline): () => void {
  const holder = slotHolder();
  const existing = holder[SLOT];
  if (existing !== undefined) {
    existing.obs = obs;
    return existing.uninstall;
  }

  const guard =
    (fn: (message: unknown) => void): Handler =>
    (message) => {
      // A subscriber that throws would surface as an uncaught exception in the caller's process.
      try {
        fn(message);
      } catch {
        // Tracing one call is never worth breaking it.
      }
    };
  const subscriptions: Array<[string, Handler]> = [
    ['undici:request:create', guard((m) => onUndiciCreate(installation.obs, m))],
    ['undici:request:headers', guard(onUndiciHeaders)],
    ['undici:request:trailers', guard(onUndiciTrailers)],
    ['undici:request:error', guard(onUndiciError)],
    ['http.client.request.created', guard((m) => onHttpRequestCreated(installation.obs, m))],
    ['http.client.response.finish', guard(onHttpResponseFinish)],
    ['http.client.request.error', guard(onHttpRequestError)],
  ];

  const installation: Installation = {
    obs,
    uninstall: () => {
      if (holder[SLOT] !== installation) return;
      for (const [name, handler] of subscriptions) diagnosticsChannel.unsubscribe(name, handler);
      holder[SLOT] = undefined;
    },
  };
  diagnosticsChannel.channel(INSTALLED).publish(installation);
  subscriptions.push([
    INSTALLED,
    (message) => {
      if (message !== installation) installation.uninstall();
    },
  ]);
  for (const [name, handler] of subscriptions) diagnosticsChannel.subscribe(name, handler);
  holder[SLOT] = installation;
  return installation.uninstall;
}
