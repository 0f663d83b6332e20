import { ItemTooLargeError } from './item-too-large.js';
import type { EncodedBody } from './spec.js';

/**
 * A FIFO of items with each one's estimated size; `shift` is O(1) amortised (a head index,
 * compacted now and then). `bytes` is the sum of the sizes of the items it holds.
 */
export class ItemQueue<T> {
  private items: (T | undefined)[] = [];
  private sizes: number[] = [];
  private head = 0;
  private total = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this.total;
  }

  push(item: T, size = 0): void {
    this.items.push(item);
    this.sizes.push(size);
    this.total += size;
  }

  /**
   * Removes up to `maxItems` items from the front, stopping before their sizes would pass
   * `maxBytes` (at least one item is always taken so a big item reaches the encoder and is judged there).
   */
  take(maxItems: number, maxBytes: number): T[] {
    let n = Math.min(maxItems, this.length);
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const size = this.sizes[this.head + i] as number;
      if (i > 0 && bytes + size > maxBytes) {
        n = i;
        break;
      }
      bytes += size;
    }
    const out = this.items.slice(this.head, this.head + n) as T[];
    this.items.fill(undefined, this.head, this.head + n);
    this.head += n;
    this.total -= bytes;
    this.compact();
    return out;
  }

  /** Empties the queue, returning how many items it held. */
  clear(): number {
    const n = this.length;
    this.items = [];
    this.sizes = [];
    this.head = 0;
    this.total = 0;
    return n;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.sizes = [];
      this.head = 0;
      this.total = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
  }
}

/** Splits a batch into two halves (the first gets the extra item). */
export function splitHalves<T>(items: readonly T[]): [T[], T[]] {
  const mid = Math.ceil(items.length / 2);
  return [items.slice(0, mid), items.slice(mid)];
}

/** A batch ready to send: its items and their encoded body. */
export interface EncodedPart<T> {
  readonly kind: 'part';
  readonly items: readonly T[];
  readonly body: Uint8Array;
  readonly contentType: string;
}

/**
 * What one encode of {@link encodeParts} came to: a part that fits, a batch to encode again in
 * halves, or a lone item dropped.
 */
export type EncodeStep<T> = EncodedPart<T> | { readonly kind: 'split' | 'too_large' | 'encode_error' };

const utf8 = new TextEncoder();

/**
 * Encodes `items`, halving any part whose body passes `maxBytes` or whose encoding throws (a lone
 * item is then `too_large`, as it is when the throw is an {@link ItemTooLargeError}, or `encode_error`). Each step is exactly one call of `encode`, so the
 * caller chooses when the next one runs; parts come out in the order the items went in.
 */
export function* encodeParts<T>(
  items: readonly T[],
  encode: (items: readonly T[]) => EncodedBody,
  maxBytes: number,
): Generator<EncodeStep<T>, void, undefined> {
  // Depth-first with an explicit stack, so parts come out in the order the items went in.
  const stack: (readonly T[])[] = [items];
  while (stack.length > 0) {
    const batch = stack.pop()!;
    if (batch.length === 0) continue;
    let encoded: EncodedBody;
    try {
      encoded = encode(batch);
    } catch (error) {
      yield halveOr(stack, batch, error instanceof ItemTooLargeError ? 'too_large' : 'encode_error');
      continue;
    }
    const body = typeof encoded.body === 'string' ? utf8.encode(encoded.body) : encoded.body;
    if (body.byteLength > maxBytes) {
      yield halveOr(stack, batch, 'too_large');
      continue;
    }
    yield { kind: 'part', items: batch, body, contentType: encoded.contentType };
  }
}

/** Queues the halves of a batch of several items; a lone item is dropped for `reason`. */
function halveOr<T>(
  stack: (readonly T[])[],
  batch: readonly T[],
  reason: 'too_large' | 'encode_error',
): EncodeStep<T> {
  if (batch.length === 1) return { kind: reason };
  const [a, b] = splitHalves(batch);
  stack.push(b, a);
  return { kind: 'split' };
}
