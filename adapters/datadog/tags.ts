import { cutDistinct } from '../../src/export/index.js';

/** Datadog allows 200 characters per tag (longer ones are cut by the intake anyway). */
const MAX_TAG = 200;
// Letters and digits of any script plus the punctuation Datadog keeps; everything else becomes `_`.
const UNSAFE_KEY = /[^\p{L}\p{N}_\-./]/gu;
const UNSAFE_VALUE = /[^\p{L}\p{N}_\-:./]/gu;
const SAFE_KEY = /^[A-Za-z0-9_\-./]*$/;
const SAFE_VALUE = /^[A-Za-z0-9_\-:./]*$/;

function clean(text: string, safe: RegExp, unsafe: RegExp): string {
  return safe.test(text) ? text : text.replace(unsafe, '_');
}

/**
 * Formats one `key:value` tag: characters Datadog would not keep become `_`, and a tag past 200
 * characters is cut to 200 ending in `_` and a digest of the whole, so tags that differ only past
 * the cut (two long URLs) keep their series apart; `onCut` hears of it. Keys lose `:` (it
 * separates key from value); values keep it.
 *
 * @example
 * tag('http.route', '/users/:id'); // 'http.route:/users/:id'
 * tag('region', 'eu west');        // 'region:eu_west'
 */
export function tag(key: string, value: unknown, onCut?: () => void): string {
  const k = clean(key, SAFE_KEY, UNSAFE_KEY);
  const v = clean(typeof value === 'string' ? value : String(value), SAFE_VALUE, UNSAFE_VALUE);
  const t = `${k}:${v}`;
  if (t.length <= MAX_TAG) return t;
  onCut?.();
  return cutDistinct(t, MAX_TAG, '_');
}

/** Sanitises a tag given as one string (`key:value` or bare `value`). */
export function rawTag(text: string): string {
  const i = text.indexOf(':');
  if (i > 0) return tag(text.slice(0, i), text.slice(i + 1));
  const t = clean(text, SAFE_VALUE, UNSAFE_VALUE);
  return t.length > MAX_TAG ? t.slice(0, MAX_TAG) : t;
}

/** Parses `DD_TAGS`: `key:value` pairs separated by commas or spaces, as dd-trace and the Agent read it. */
export function parseTagList(text: string): string[] {
  return text
    .split(/[,\s]+/)
    .map((t) => t.trim())
    .filter((t) => t !== '');
}

/** The service identity Datadog's unified service tagging ties signals together with. */
export interface ServiceTags {
  readonly service: string;
  readonly env: string;
  readonly version: string | undefined;
}

/** `env:…`, `service:…`, `version:…` (when known), then the configured extra tags. */
export function unifiedTags(identity: ServiceTags, extra: readonly string[]): string[] {
  const out = [tag('env', identity.env), tag('service', identity.service)];
  if (identity.version) out.push(tag('version', identity.version));
  for (const t of extra) {
    const i = t.indexOf(':');
    const key = i < 0 ? '' : t.slice(0, i);
    // The unified tags are the adapter's to set; a DD_TAGS entry must not contradict them.
    if (key === 'env' || key === 'service' || key === 'version') continue;
    out.push(rawTag(t));
  }
  return out;
}
