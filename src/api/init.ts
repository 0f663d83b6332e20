import { resolveConfig } from '../config/resolve.js';
import { ErrorCodes, SightlineConfigError, SightlineError } from '../diag/errors.js';
import type { SightlineConfig } from '../config/types.js';
import { consoleAdapter } from '../export/console-adapter.js';
import { installOutboundHttp } from '../integrations/outbound/install.js';
import { getSightline, setGlobalInstance } from './global.js';
import { installExitFlush, installSignalHandlers } from './signals.js';
import { SightlineInstance } from './sightline.js';
import type { Sightline } from './types.js';

/**
 * Starts sightline once, at start-up: resolves and validates the configuration, sets up the
 * adapters for this environment and registers the OpenTelemetry providers. A second call warns
 * and returns the first instance.
 *
 * @throws SightlineConfigError with a `SL_ERR_CONFIG_*` code on a configuration mistake.
 * @example
 * import { init } from 'sightline';
 * const obs = init({ service: 'checkout' });
 * obs.log.info({ orderId: 'o-1' }, 'order placed');
 */
export function init(config?: SightlineConfig): Sightline {
  const existing = getSightline();
  if (existing !== undefined) {
    process.emitWarning(
      'init() was called again; the first instance is returned and the new options are ignored',
      {
        code: 'SLWRN001',
        type: 'SightlineWarning',
      },
    );
    return existing;
  }
  const resolved = resolveOrExplain(config);
  const adapters = resolved.console
    ? [consoleAdapter(() => instance), ...resolved.exporters]
    : [...resolved.exporters];
  const instance: SightlineInstance = new SightlineInstance(resolved, { adapters });
  setGlobalInstance(instance);
  instance.addCleanup(() => {
    if (getSightline() === instance) setGlobalInstance(undefined);
  });
  instance.addCleanup(installExitFlush(instance));
  if (resolved.handleSignals) instance.addCleanup(installSignalHandlers(instance));
  if (resolved.outbound) instance.addCleanup(installOutboundHttp(instance));
  return instance;
}

/** Resolves the options; an object that cannot even be read (a getter that throws) is a coded error too. */
function resolveOrExplain(config: SightlineConfig | undefined) {
  try {
    return resolveConfig(config ?? {});
  } catch (error) {
    if (error instanceof SightlineError) throw error;
    throw new SightlineConfigError(
      ErrorCodes.CONFIG_INVALID_TYPE,
      'config',
      'the options passed to init() could not be read (a getter threw); pass plain data',
    );
  }
}
