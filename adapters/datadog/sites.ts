import { ErrorCodes, SightlineConfigError, describeValue } from '../../src/diag/errors.js';
import { invalidCode } from '../../src/export/index.js';

/** The Datadog sites (regions) sightline knows; each maps to `api.<site>` and `http-intake.logs.<site>`. */
export const DATADOG_SITES = [
  'datadoghq.com',
  'us3.datadoghq.com',
  'us5.datadoghq.com',
  'datadoghq.eu',
  'ap1.datadoghq.com',
  'ap2.datadoghq.com',
  'uk1.datadoghq.com',
  'ddog-gov.com',
  'us2.ddog-gov.com',
] as const;

/** One of the nine Datadog sites, e.g. `datadoghq.eu`. */
export type DatadogSite = (typeof DATADOG_SITES)[number];

const KNOWN = new Set<string>(DATADOG_SITES);

/**
 * Normalises and checks a site. People paste what their browser shows (`https://app.datadoghq.eu/`),
 * so the scheme, a trailing slash and the `app.` of the UI host are tolerated.
 *
 * @throws SightlineConfigError naming the option (or variable) and listing the valid sites.
 */
export function resolveSite(value: unknown, option: string, fromEnv: boolean): DatadogSite {
  const code = fromEnv ? ErrorCodes.CONFIG_INVALID_ENV : invalidCode(value, 'string');
  if (typeof value === 'string') {
    const site = value
      .trim()
      .toLowerCase()
      .replace(/^https?:\/\//, '')
      .replace(/\/+$/, '')
      .replace(/^app\./, '');
    if (KNOWN.has(site)) return site as DatadogSite;
  }
  throw new SightlineConfigError(
    code,
    option,
    `${option} is ${describeValue(value)}, which is not a Datadog site; use one of ${DATADOG_SITES.join(', ')}`,
  );
}

/** Default intake URLs for a site. */
export function siteUrls(site: DatadogSite): { metrics: string; logs: string; events: string } {
  return {
    metrics: `https://api.${site}/api/v2/series`,
    logs: `https://http-intake.logs.${site}/api/v2/logs`,
    events: `https://api.${site}/api/v1/events`,
  };
}
