import { type Context, context } from '@opentelemetry/api';

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
 * Makes `entered` the active one for the rest of this execution and what it schedules, as
 * AsyncLocalStorage's enterWith does, through the global context manager; false where that is not
 * sightline's own (another SDK's registered first, or took its place since), when the API's active
 * context is left as it was.
 */
export function enterContext(entered: Context): boolean {
  if (attaching === undefined) return false;
  attaching.attach(entered);
  // Another SDK's context manager may have been made the global one after init() (the API's
  // disable() then its own): what sightline's holds is then read by no one.
  if (context.active() === entered) return true;
  attaching = undefined;
  return false;
}
