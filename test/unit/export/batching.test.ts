import { describe, expect, it } from 'vitest';
import { type EncodedPart, encodeParts, ItemQueue, splitHalves } from '../../../src/export/batching.js';
import { ItemTooLargeError } from '../../../src/export/item-too-large.js';

const json = (items: readonly unknown[]) => ({
  body: JSON.stringify(items),
  contentType: 'application/json',
});

describe('ItemQueue', () => {
  it('takes in FIFO order up to the item limit', () => {
    const q = new ItemQueue<number>();
    for (let i = 0; i < 5; i++) q.push(i);
    expect(q.take(3, 1e9)).toEqual([0, 1, 2]);
    expect(q.length).toBe(2);
    expect(q.take(3, 1e9)).toEqual([3, 4]);
    expect(q.length).toBe(0);
  });

  it('stops before the estimated bytes pass the limit, but always takes one item', () => {
    const q = new ItemQueue<number>();
    for (const n of [400, 400, 400, 5000, 1]) q.push(n, n);
    expect(q.bytes).toBe(6201);
    expect(q.take(10, 1000)).toEqual([400, 400]);
    expect(q.bytes).toBe(5401);
    expect(q.take(10, 1000)).toEqual([400]);
    expect(q.take(10, 1000)).toEqual([5000]);
    expect(q.take(10, 1000)).toEqual([1]);
    expect(q.bytes).toBe(0);
  });

  it('stays correct across compactions with many items', () => {
    const q = new ItemQueue<number>();
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 700; i++) q.push(next++, 2);
      for (const n of q.take(600, 1e9)) expect(n).toBe(expected++);
    }
    expect(q.length).toBe(next - expected);
    expect(q.bytes).toBe(2 * (next - expected));
    expect(q.clear()).toBe(next - expected);
    expect(q.length).toBe(0);
    expect(q.bytes).toBe(0);
  });
});

describe('splitHalves', () => {
  it('gives the first half the extra item', () => {
    expect(splitHalves([1, 2, 3])).toEqual([[1, 2], [3]]);
    expect(splitHalves([1])).toEqual([[1], []]);
  });
});

/** Runs every step of {@link encodeParts}, tallying its parts and drops. */
function encodeWithinLimit<T>(...args: Parameters<typeof encodeParts<T>>) {
  const out = { parts: [] as EncodedPart<T>[], tooLarge: 0, encodeErrors: 0 };
  for (const step of encodeParts(...args)) {
    if (step.kind === 'part') out.parts.push(step);
    else if (step.kind === 'too_large') out.tooLarge++;
    else if (step.kind === 'encode_error') out.encodeErrors++;
  }
  return out;
}

describe('encodeParts', () => {
  it('calls the encoder once per step, so the caller paces the halving', () => {
    const calls: number[] = [];
    const steps = encodeParts(
      ['a', 'b', 'c', 'd'],
      (items) => {
        calls.push(items.length);
        return json(items);
      },
      15,
    );
    expect(steps.next().value).toEqual({ kind: 'split' });
    expect(calls).toEqual([4]);
    expect(steps.next().value).toMatchObject({ kind: 'part', items: ['a', 'b'] });
    expect(calls).toEqual([4, 2]);
  });

  it('returns one part when the body fits', () => {
    const out = encodeWithinLimit([1, 2, 3], json, 100);
    expect(out.parts.map((p) => p.items)).toEqual([[1, 2, 3]]);
    expect(Buffer.from(out.parts[0]!.body).toString()).toBe('[1,2,3]');
  });

  it('halves until each part fits, keeping order, and counts items too large alone', () => {
    const big = 'x'.repeat(50);
    const out = encodeWithinLimit(['a', 'b', big, 'c', 'd'], json, 20);
    expect(out.parts.flatMap((p) => p.items)).toEqual(['a', 'b', 'c', 'd']);
    for (const p of out.parts) expect(p.body.byteLength).toBeLessThanOrEqual(20);
    expect(out.tooLarge).toBe(1);
    expect(out.encodeErrors).toBe(0);
  });

  it('counts an item the encoder cannot fit to the backend as too large alone, not an encode error', () => {
    const out = encodeWithinLimit(
      ['a', 'huge', 'b'],
      (items) => {
        if (items.includes('huge')) throw new ItemTooLargeError('over the backend limit for one');
        return json(items);
      },
      100,
    );
    expect(out.parts.flatMap((p) => p.items)).toEqual(['a', 'b']);
    expect(out.tooLarge).toBe(1);
    expect(out.encodeErrors).toBe(0);
  });

  it('measures bytes, not characters', () => {
    const out = encodeWithinLimit(['é'.repeat(6)], json, 15);
    // 6 two-byte characters plus quotes and brackets: 16 bytes, over the limit.
    expect(out.tooLarge).toBe(1);
  });

  it('accepts Uint8Array bodies', () => {
    const out = encodeWithinLimit(
      [1, 2],
      (items) => ({ body: new Uint8Array(items.length * 10), contentType: 'application/x-protobuf' }),
      10,
    );
    expect(out.parts.map((p) => p.items)).toEqual([[1], [2]]);
    expect(out.parts[0]?.contentType).toBe('application/x-protobuf');
  });
});
