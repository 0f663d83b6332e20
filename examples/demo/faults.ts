/**
 * The demo's fault switch, inside each service process: the example apps await its hook at the
 * start of every handler (their demo-only `faults` option), and the controller sets which
 * faults are on over IPC. Latency is spent in a span of its own so the waterfall names it.
 */
import type { Sightline } from 'sightline';
import type { ServiceFault } from './protocol.js';

/** Thrown by the hook to fail a request; the apps answer with its `status`. */
export class InjectedFault extends Error {
  readonly status = 503;
}

export interface FaultSwitch {
  /** The hook to pass as the apps' `faults` option. */
  readonly hook: (route: string) => Promise<void> | undefined;
  set(faults: readonly ServiceFault[]): void;
}

/**
 * Creates a switch with every fault off.
 *
 * @example
 * const faults = faultSwitch(obs);
 * const app = createCheckoutApp(obs, { inventoryUrl, faults: faults.hook });
 * faults.set([{ route: 'GET /products', errorRatio: 0.4 }]);
 */
export function faultSwitch(obs: Sightline): FaultSwitch {
  let active = new Map<string, ServiceFault>();
  return {
    hook(route) {
      const fault = active.get(route);
      if (fault === undefined) return undefined;
      return apply(obs, fault);
    },
    set(faults) {
      active = new Map(faults.map((f) => [f.route, f]));
    },
  };
}

async function apply(obs: Sightline, fault: ServiceFault): Promise<void> {
  const latency = fault.latencyMs ?? 0;
  if (latency > 0) {
    const ms = latency * (0.85 + 0.3 * Math.random());
    await obs.trace('demo.injected-latency', () => new Promise((resolve) => setTimeout(resolve, ms)));
  }
  if (fault.errorRatio !== undefined && Math.random() < fault.errorRatio) {
    throw new InjectedFault('backend unavailable (injected by the demo)');
  }
}
