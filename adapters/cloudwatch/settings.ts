import { hostname } from 'node:os';
import type { AdapterContext } from '../../src/export/index.js';
import { type DimensionList, dimensionValue } from './dimensions.js';
import type { ResolvedCloudWatchOptions } from './options.js';

/** The options with every service-dependent default filled in at setup. */
export interface AdapterSettings {
  readonly options: ResolvedCloudWatchOptions;
  readonly namespace: string;
  readonly dimensions: DimensionList;
  readonly storageResolution: 1 | 60;
  readonly logGroup: string;
  readonly logStream: string;
}

/**
 * Fills in what depends on the service: the namespace (`Sightline/<service>`), the dimensions on
 * every metric (`Service`, `Environment`, then the configured ones, which win on a clash), the log
 * group (`/sightline/<service>`) and stream (`<environment>/<host>/<pid>`).
 *
 * @example
 * settingsFor(resolveCloudWatchOptions({}), ctx).namespace; // 'Sightline/checkout'
 */
export function settingsFor(options: ResolvedCloudWatchOptions, ctx: AdapterContext): AdapterSettings {
  const service = ctx.service.replace(/[^a-zA-Z0-9._#:/-]/g, '_').slice(0, 200) || 'service';
  const dims = new Map<string, string>();
  if (options.serviceDimensions) {
    const svc = dimensionValue(ctx.service);
    const env = dimensionValue(ctx.environment);
    if (svc !== undefined) dims.set('Service', svc);
    if (env !== undefined) dims.set('Environment', env);
  }
  for (const [k, v] of options.dimensions) dims.set(k, v);
  const stream = `${ctx.environment}/${hostname()}/${process.pid}`.replace(/[:*]/g, '_').slice(0, 512);
  return {
    options,
    namespace: options.namespace ?? `Sightline/${service}`,
    dimensions: [...dims],
    storageResolution: options.storageResolution,
    logGroup: options.logGroup ?? `/sightline/${service.replace(/[^.\-_/#A-Za-z0-9]/g, '_')}`,
    logStream: options.logStream ?? stream,
  };
}
