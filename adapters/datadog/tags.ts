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
 * Formats one `key:value` tag: characters Datadog would not keep become `_`, and a tag past `max`
 * (200) characters is cut to it ending in `_` and a digest of the whole, so tags that differ only
 * past the cut (two long URLs) keep their series apart; `onCut` hears of it. Keys lose `:` (it
 * separates key from value); values keep it.
 *
 * @example
 * tag('http.route', '/users/:id'); // 'http.route:/users/:id'
 * tag('region', 'eu west');        // 'region:eu_west'
 */
export function tag(key: string, value: unknown, onCut?: () => void, max = MAX_TAG): string {
  const k = clean(key, SAFE_KEY, UNSAFE_KEY);
  const v = clean(typeof value === 'string' ? value : String(value), SAFE_VALUE, UNSAFE_VALUE);
  return fitted(`${k}:${v}`, max, onCut);
}

function fitted(t: string, max: number, onCut: (() => void) | undefined): string {
  if (t.length <= max) return t;
  onCut?.();
  return cutDistinct(t, max, '_');
}

/** Whether `key:value` is sent as one tag whole, within the 200 characters Datadog takes. */
export function fitsTag(key: string, value: string): boolean {
  return tag(key, value, undefined, Number.POSITIVE_INFINITY).length <= MAX_TAG;
}

/** The unified service tags' keys, which tie a series or event to a service. */
const UNIFIED_KEYS: ReadonlySet<string> = new Set(['service', 'env', 'version']);

/**
 * Whether a tag key names a unified service tag, in any case: Datadog reads tag keys in lower case,
 * so `Service:payments` is a second service tag.
 */
export function namesUnifiedTag(key: string): boolean {
  return UNIFIED_KEYS.has(key.toLowerCase());
}

/** The unified service tags among `tags` (`service:checkout`), by key. */
export function identityTags(tags: readonly string[]): ReadonlyMap<string, string> {
  const identity = new Map<string, string>();
  for (const t of tags) {
    const key = t.slice(0, t.indexOf(':'));
    if (UNIFIED_KEYS.has(key) && !identity.has(key)) identity.set(key, t);
  }
  return identity;
}

/**
 * The tag of a series' or event's attribute, as {@link tag} makes it. Datadog reads tag keys in
 * lower case, and a series or event with a second `service` (`env`, `version`) tag as one of that
 * service too: a gateway's `service: 'payments'` would put its calls on the payments service's
 * dashboards. So one naming a unified service tag with another value, or one the service has none
 * of (an API's `version: 'v2'` where no version is set, which would read as a deployment's), is
 * `attr.<key>`, and one repeating it is `undefined`, left out.
 */
export function attributeTag(
  key: string,
  value: unknown,
  identity: ReadonlyMap<string, string>,
  onCut?: () => void,
): string | undefined {
  const lower = key.toLowerCase();
  if (!UNIFIED_KEYS.has(lower)) return tag(key, value, onCut);
  const own = identity.get(lower);
  if (own !== undefined && tag(key, value).toLowerCase() === own.toLowerCase()) return undefined;
  return tag(`attr.${key}`, value, onCut);
}

/** Sanitises a tag given as one string (`key:value` or bare `value`), cut as {@link tag} cuts. */
export function rawTag(text: string, onCut?: () => void): string {
  const i = text.indexOf(':');
  if (i > 0) return tag(text.slice(0, i), text.slice(i + 1), onCut);
  return fitted(clean(text, SAFE_VALUE, UNSAFE_VALUE), MAX_TAG, onCut);
}

/** The service identity Datadog's unified service tagging ties signals together with. */
export interface ServiceTags {
  readonly service: string;
  readonly env: string;
  readonly version: string | undefined;
}

/**
 * `env:…`, `service:…`, `version:…` (when known), then the configured extra tags; `onCut` hears of
 * each one cut to 200 characters.
 */
export function unifiedTags(identity: ServiceTags, extra: readonly string[], onCut?: () => void): string[] {
  const out = [tag('env', identity.env, onCut), tag('service', identity.service, onCut)];
  if (identity.version) out.push(tag('version', identity.version, onCut));
  for (const t of extra) {
    const i = t.indexOf(':');
    const key = i < 0 ? '' : t.slice(0, i);
    // The unified tags are the adapter's to set; a DD_TAGS entry must not contradict them.
    if (namesUnifiedTag(key)) continue;
    out.push(rawTag(t, onCut));
  }
  return out;
}
