/**
 * Thrown by an adapter's `encode` for an item the backend cannot take even once the adapter has cut
 * it (Datadog's 1 MB for one log), so the core isolates it by halving and drops it as `too_large`
 * rather than sending it over the limit.
 */
export class ItemTooLargeError extends Error {
  constructor(what: string) {
    super(what);
    this.name = 'ItemTooLargeError';
  }
}
