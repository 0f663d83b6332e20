import type { Context } from '@opentelemetry/api';

/** A context manager that can make a context the active one for the rest of the current execution. */
export interface Attaching {
  attach(context: Context): unknown;
}

/** The global context manager when it is sightline's own and can attach a context, or undefined. */
let attaching: Attaching | undefined;

/** Tells which context manager the API now uses: sightline's, or undefined for another's or none. */
export function useAttaching(manager: object | undefined): void {
  const attach = (manager as Partial<Attaching> | undefined)?.attach;
  attaching = typeof attach === 'function' ? (manager as Attaching) : undefined;
}

/**
 * Makes `context` the active one for the rest of this execution and what it schedules, as
 * AsyncLocalStorage's enterWith does, through the global context manager; false where that is not
 * sightline's own (another SDK's registered first), when nothing was done.
 */
export function enterContext(context: Context): boolean {
  if (attaching === undefined) return false;
  attaching.attach(context);
  return true;
}
