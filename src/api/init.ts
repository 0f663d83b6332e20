import { isMainThread } from 'node:worker_threads';
import { resolveConfig } from '../config/resolve.js';
import { ErrorCodes, SightlineConfigError, SightlineError } from '../diag/errors.js';
import { warn } from '../diag/warning.js';
import type { SightlineConfig } from '../config/types.js';
import { consoleAdapter } from '../export/console-adapter.js';
import { installOutboundHttp } from '../integrations/outbound/install.js';
import { getSightline, handsOver, setGlobalInstance } from './global.js';
import { installNaturalExitShutdown } from './natural-exit.js';
import { installExitFlush, installSignalHandlers } from './signals.js';
import { SightlineInstance } from './sightline.js';
import { flushWhenAsked } from './thread-flush.js';
import type { Sightline } from './types.js';

/**
 * Starts sightline once, at start-up: resolves and validates the configuration, sets up the
 * adapters for this environment and registers the OpenTelemetry providers. A second call warns
 * and returns the first instance, unless that one is shutting down: then it starts a new one.
 *
 * @throws SightlineConfigError with a `SL_ERR_CONFIG_*` code on a configuration mistake.
 * @example
 * import { init } from 'sightline';
 * const obs = init({ service: 'checkout' });
 * obs.log.info({ orderId: 'o-1' }, 'order placed');
 */
export function init(config?: SightlineConfig): Sightline {
  const existing = getSightline();
  // One still shutting down is treated as shut down: its data would be dropped with it.
  if (existing !== undefined && !handsOver(existing)) {
    warn(
      'SLWRN001',
      'init() was called again; the first instance is returned and the new options are ignored',
    );
    return existing;
  }
  const resolved = resolveOrExplain(config);
  for (const message of resolved.variableWarnings) warn('SLWRN004', message);
  if (resolved.environmentWarning !== undefined) warn('SLWRN003', resolved.environmentWarning);
  const adapters = resolved.sdkDisabled
    ? []
    : resolved.console
      ? [consoleAdapter(() => instance), ...resolved.exporters]
      : [...resolved.exporters];
  const instance: SightlineInstance = new SightlineInstance(resolved, { adapters });
  if (resolved.sdkDisabled)
    instance.log.info(
      'OTEL_SDK_DISABLED=true: metrics, spans and anomaly events are neither recorded nor exported',
    );
  setGlobalInstance(instance);
  instance.addCleanup(installExitFlush(instance));
  instance.addCleanup(installNaturalExitShutdown(instance));
  if (resolved.handleSignals) instance.addCleanup(installSignalHandlers(instance));
  // No signal reaches a worker thread: its instance flushes when the main thread's handles one, or
  // sees its cluster worker disconnect, and its detector pauses for the drain, as the main thread's
  // does: the work the main thread hands it goes to the other replicas too.
  if (!isMainThread) {
    const member = flushWhenAsked((timeoutMs, drain) => {
      instance.anomalyEngine?.pauseForDrain(
        'the main thread handles a signal or its cluster worker disconnects, which may begin a drain',
      );
      if (drain) return instance.flushWithoutWaiting();
      // A wait asked after a drain's flush (a shutdown within the drain) collects the metrics
      // again, as the main thread's shutdown does: the thread may have recorded since, and the
      // process may end once this is done. A cumulative point sent again counts nothing twice.
      return instance.forceFlush({ timeoutMs: Math.min(timeoutMs, resolved.shutdownTimeout) });
    });
    // The main thread's shutdown, begun as this thread's end empties its event loop, counts its
    // deadline from here.
    instance.awaitAtShutdown(() => {
      member.ending();
      return undefined;
    });
    instance.addCleanup(member.close);
  }
  instance.onRelease(() => {
    if (getSightline() === instance) setGlobalInstance(undefined);
  });
  if (resolved.outbound) instance.onRelease(installOutboundHttp(instance));
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
