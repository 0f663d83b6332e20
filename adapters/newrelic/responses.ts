import type { Diag } from '../../src/diag/diag.js';
import type { ExportResponse } from '../../src/export/index.js';

/**
 * The id New Relic gives an accepted payload: `requestId` (Metric and Log APIs, 202) or `uuid`
 * (Event API, 200). Validation continues asynchronously and failures surface in New Relic as
 * `NrIntegrationError` events carrying this id, so it is what a user needs to find them.
 */
export function acceptedId(body: string): string | undefined {
  if (body === '' || body.length > 512) return undefined;
  try {
    const parsed = JSON.parse(body) as { requestId?: unknown; uuid?: unknown };
    const id = parsed?.requestId ?? parsed?.uuid;
    // Only an id-shaped value is echoed into diagnostics.
    return typeof id === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A response hook that never changes the accounting (New Relic documents no synchronous partial
 * failure: every 2xx means the whole payload was accepted) and reports the accepted id at debug
 * level, rate-limited by the diagnostics.
 */
export function reportAccepted(diag: Diag, label: string): (response: ExportResponse) => undefined {
  return (response) => {
    if (diag.level !== 'debug') return undefined;
    const id = acceptedId(response.body);
    if (id !== undefined)
      diag.debug(`export.newrelic.${label}.accepted`, `newrelic ${label}: accepted, requestId ${id}`);
    return undefined;
  };
}
