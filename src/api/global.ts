import type { Sightline } from './types.js';

/** One slot per process, shared by the ESM and CJS builds and by duplicate copies of the package. */
const SLOT = Symbol.for('sightline.api.v1');

interface GlobalSlot {
  instance: Sightline | undefined;
}

function slot(): GlobalSlot {
  const g = globalThis as unknown as Record<symbol, GlobalSlot | undefined>;
  let s = g[SLOT];
  if (s === undefined) {
    s = { instance: undefined };
    Object.defineProperty(globalThis, SLOT, {
      value: s,
      enumerable: false,
      configurable: false,
      writable: false,
    });
  }
  return s;
}

// Resolved once: the module-level proxies read it on every call made before init().
let cached: GlobalSlot | undefined;

/** The instance `init()` created, or `undefined` before `init()` and after `shutdown()`. */
export function getSightline(): Sightline | undefined {
  cached ??= slot();
  return cached.instance;
}

export function setGlobalInstance(instance: Sightline | undefined): void {
  cached ??= slot();
  cached.instance = instance;
}
