import { redactUrl } from './url-query.js';

/** On sightline's logger: its redaction key matcher, read for the URL a request's logger hides. */
export const KEY_MATCHER = Symbol('sightline.logs.keyMatcher');
/** On a request's logger: the URL the request came with, as sent and as its lines may quote it. */
const QUOTED_URL = Symbol('sightline.logs.quotedUrl');

/**
 * Makes the messages of a request's logger (and of its children) quote the request's URL with its
 * query's secrets redacted: a framework writes the URL as sent in lines of its own (Fastify's
 * `Route GET:/x?token=... not found`). Nothing to do for a URL without secrets.
 */
export function hideQuotedUrl(log: object, url: string | undefined): void {
  const isSensitive = (log as Record<symbol, unknown>)[KEY_MATCHER];
  if (url === undefined || typeof isSensitive !== 'function') return;
  const clean = redactUrl(url, isSensitive as (key: string) => boolean);
  if (clean !== url) Object.defineProperty(log, QUOTED_URL, { value: [url, clean] });
}

/** The message with its logger's request URL, if it quotes it as sent, redacted. */
export function withoutQuotedUrl(logger: object, msg: string): string {
  const quoted = (logger as Record<symbol, unknown>)[QUOTED_URL] as readonly [string, string] | undefined;
  return quoted === undefined ? msg : msg.replaceAll(quoted[0], quoted[1]);
}
