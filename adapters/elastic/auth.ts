import { Buffer } from 'node:buffer';

/**
 * The `Authorization` value for an Elasticsearch API key. The create-API-key response's `encoded`
 * field is used as is; an `id:api_key` pair (or `{ id, apiKey }`) is base64-encoded first.
 *
 * @example
 * apiKeyHeader('VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=='); // 'ApiKey VnVh...'
 * apiKeyHeader({ id: 'VuaCfGcBCdbkQm-e5aOx', apiKey: 'ui2lp2axTNmsyakw9tvNnw' });
 */
export function apiKeyHeader(key: string | { readonly id: string; readonly apiKey: string }): string {
  if (typeof key !== 'string') return `ApiKey ${Buffer.from(`${key.id}:${key.apiKey}`).toString('base64')}`;
  // base64 never contains ':', so a colon means an unencoded id:key pair.
  return `ApiKey ${key.includes(':') ? Buffer.from(key).toString('base64') : key}`;
}

/** The `Authorization` value for basic authentication. */
export function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/**
 * The Elasticsearch URL in an Elastic Cloud id: `<label>:<base64("<domain>$<es-uuid>$<kibana-uuid>")>`
 * gives `https://<es-uuid>.<domain>`, as the official clients decode it. `undefined` when the id
 * does not have that shape.
 *
 * @example
 * cloudIdToUrl('my-deployment:' + btoa('eu-west-1.aws.found.io$abc123$def456')); // 'https://abc123.eu-west-1.aws.found.io'
 */
export function cloudIdToUrl(cloudId: string): string | undefined {
  const colon = cloudId.indexOf(':');
  const encoded = colon >= 0 ? cloudId.slice(colon + 1) : cloudId;
  if (!/^[A-Za-z0-9+/=_-]+$/.test(encoded)) return undefined;
  const [domain, esId] = Buffer.from(encoded, 'base64').toString('utf8').split('$');
  if (domain === undefined || esId === undefined) return undefined;
  if (!/^[a-z0-9.-]+(:\d{1,5})?$/i.test(domain) || !/^[a-z0-9]+$/i.test(esId)) return undefined;
  return `https://${esId}.${domain}`;
}

/** True for a value that can go in an HTTP header as one token: printable ASCII, no spaces. */
export function isHeaderToken(value: string): boolean {
  return value !== '' && /^[\x21-\x7e]+$/.test(value);
}
