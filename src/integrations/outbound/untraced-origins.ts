import type { Sightline } from '../../api/types.js';

/** Where an instance keeps the origins its adapters' own clients call; shared by every copy of the package. */
export const UNTRACED_ORIGINS = Symbol.for('sightline.outbound.untracedOrigins');

/**
 * `scheme://host[:port]` as URL writes it (default port left out), `unix:<path>` for a Unix
 * socket URL (`unix:///var/run/datadog/apm.socket`), or undefined for a URL without either.
 */
export function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'unix:') return parsed.pathname === '' ? undefined : `unix:${parsed.pathname}`;
    return parsed.origin === 'null' ? undefined : parsed.origin;
  } catch {
    return undefined;
  }
}

/** The origins the adapters list, in the form outgoing calls are compared in. */
export function untracedOrigins(lists: ReadonlyArray<readonly string[] | undefined>): ReadonlySet<string> {
  const set = new Set<string>();
  for (const list of lists) {
    for (const url of list ?? []) {
      const origin = originOf(url);
      if (origin !== undefined) set.add(origin);
    }
  }
  return set;
}

/** Sentry's envelope endpoint, `/api/<project>/envelope/`, with the DSN's key in the query. */
const SENTRY_ENVELOPE = /\/api\/\d+\/envelope\/\?(?:[^#]*&)?sentry_key=/;

/**
 * True for a Sentry SDK's upload of its events, which is traced by no one: Sentry marks it in its
 * own scope (from version 11), where sightline cannot see it, no longer in OpenTelemetry's context.
 */
export function isSentryUpload(path: string): boolean {
  return path.includes('sentry_key=') && SENTRY_ENVELOPE.test(path);
}

/** The Agent URL dd-trace last reported, and its origin. */
let ddTraceAgent: { url: unknown; origin: string | undefined } | undefined;

/**
 * The origin of the Agent an initialised dd-trace sends to, whoever initialised it: the app itself
 * (`require('dd-trace').init()`) sends its spans, telemetry and configuration polls there too.
 */
function ddTraceAgentOrigin(): string | undefined {
  const url = (globalThis as { _ddtrace?: { _tracer?: { _url?: unknown } } })._ddtrace?._tracer?._url;
  if (url === undefined || url === null) return undefined;
  if (ddTraceAgent?.url !== url) ddTraceAgent = { url, origin: originOf(String(url)) };
  return ddTraceAgent.origin;
}

/**
 * True when a call to `origin` is one of the instance's adapters talking to its own backend, or
 * dd-trace talking to its Agent.
 */
export function isUntracedOrigin(obs: Sightline, origin: string): boolean {
  const set = (obs as { [UNTRACED_ORIGINS]?: ReadonlySet<string> })[UNTRACED_ORIGINS];
  return (set !== undefined && set.size > 0 && set.has(origin)) || origin === ddTraceAgentOrigin();
}
