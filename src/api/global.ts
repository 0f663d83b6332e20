import type { Sightline } from './types.js';

/** One slot per process, shared by the ESM and CJS builds and by duplicate copies of the package. */
const SLOT = Symbol.for('sightline.api.v1');

/** Shared by every copy of the package, like the slot; a symbol keeps it off the proxies' surface. */
export const REBIND = Symbol.for('sightline.api.rebind');

/**
 * Asks an instance that is shutting down to give up its place (the global slot, the OpenTelemetry
 * globals, outgoing-call tracing) now, so an `init()` made meanwhile starts afresh; returns whether
 * it did. A symbol shared by every copy of the package, like the slot.
 */
export const HAND_OVER = Symbol.for('sightline.api.handover');

/** Whether `instance` shut down, or is shutting down, and has given up its place for a new one. */
export function handsOver(instance: Sightline): boolean {
  try {
    return (instance as { [HAND_OVER]?: () => boolean })[HAND_OVER]?.() === true;
  } catch {
    return false;
  }
}

/** A module-level proxy, told when the instance changes so that before `init()` it runs empty functions. */
export interface Rebindable {
  [REBIND](instance: Sightline | undefined): void;
}

interface GlobalSlot {
  instance: Sightline | undefined;
  /** Shared like the instance, so a proxy made by the CJS copy follows an ESM `init()`. */
  proxies?: Set<WeakRef<Rebindable>>;
  /** The changes to the module-level loggers' bindings while an instance ran: their children follow. */
  rootBindings?: { count: number };
  /** The module-level instruments' first spellings: a name declared in each copy is one metric's. */
  spellings?: Map<string, string>;
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
  for (const ref of cached.proxies ?? []) {
    try {
      ref.deref()?.[REBIND](instance);
    } catch {
      // A proxy that cannot rebind keeps its old behaviour; init() and shutdown() go on.
    }
  }
}

/** Shared like the instance: every copy's module-level logger writes through the one instance's. */
export function rootBindingsCount(): { count: number } {
  cached ??= slot();
  cached.rootBindings ??= { count: 0 };
  return cached.rootBindings;
}

/** Shared like the instance: the spelling first declared through any copy's module-level metrics. */
export function declaredSpellings(): Map<string, string> {
  cached ??= slot();
  cached.spellings ??= new Map();
  return cached.spellings;
}

// Proxies made in a loop must not pile up: a collected proxy leaves the set.
const collected = new FinalizationRegistry<{ set: Set<WeakRef<Rebindable>>; ref: WeakRef<Rebindable> }>(
  ({ set, ref }) => set.delete(ref),
);

/** Binds `proxy` to the current instance now and to every later one. */
export function followInstance(proxy: Rebindable): void {
  cached ??= slot();
  cached.proxies ??= new Set();
  const ref = new WeakRef(proxy);
  cached.proxies.add(ref);
  collected.register(proxy, { set: cached.proxies, ref });
  proxy[REBIND](cached.instance);
}
