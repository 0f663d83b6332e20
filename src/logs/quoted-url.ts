import { pinoSymbolsOf } from './pino-symbols.js';
import { redactUrl } from './url-query.js';

/**
 * On sightline's logger: its redaction key matcher, read for the URL a request's logger hides.
 * Registered, so the Fastify plugin of the package's other copy (ESM beside CJS) finds it too.
 */
export const KEY_MATCHER = Symbol.for('sightline.logs.keyMatcher');

type Write = (this: unknown, obj: unknown, msg: unknown, num: unknown) => unknown;

/**
 * Makes the messages of a request's logger (and of its children) quote the request's URL with its
 * query's secrets redacted: a framework writes the URL as sent in lines of its own (Fastify's
 * `Route GET:/x?token=... not found`). Nothing to do for a URL without secrets; only a logger that
 * has one pays for the look, through a write step of its own that its children inherit.
 */
export function hideQuotedUrl(log: object, url: string | undefined): void {
  const holder = log as Record<symbol, unknown>;
  const isSensitive = holder[KEY_MATCHER];
  const { writeSym } = pinoSymbolsOf(log);
  const write = holder[writeSym];
  if (url === undefined || typeof isSensitive !== 'function' || typeof write !== 'function') return;
  const clean = redactUrl(url, isSensitive as (key: string) => boolean);
  if (clean === url) return;
  const inherited = write as Write;
  Object.defineProperty(log, writeSym, {
    value: function hidingWrite(this: unknown, obj: unknown, msg: unknown, num: unknown) {
      return inherited.call(this, obj, typeof msg === 'string' ? msg.replaceAll(url, clean) : msg, num);
    },
    writable: true,
    configurable: true,
  });
}
