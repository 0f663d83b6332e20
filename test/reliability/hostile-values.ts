import fc from 'fast-check';

/** Keys an attacker (or a careless caller) uses to reach a prototype. */
export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/** Adds what a plain arbitrary never makes: a cycle, prototype keys, symbols, BigInt, a throwing getter. */
function harden(base: Record<string, unknown>, twist: number): Record<string, unknown> {
  const obj: Record<string, unknown> = { ...base };
  // fast-check prints counterexamples; this one must not trip over its own getter or cycle.
  Object.defineProperty(obj, fc.toStringMethod, { value: () => `hostile(${twist})`, enumerable: false });
  if (twist & 1) obj.self = obj;
  if (twist & 2)
    Object.assign(
      obj,
      JSON.parse('{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}'),
    );
  if (twist & 4) (obj as Record<symbol, unknown>)[Symbol('secret')] = 'symbol-valued';
  if (twist & 8) obj.big = 10n ** 30n;
  if (twist & 16)
    Object.defineProperty(obj, 'explodes', {
      enumerable: true,
      get() {
        throw new Error('getter that throws');
      },
    });
  if (twist & 32) obj.huge = 'x'.repeat(200_000);
  if (twist & 64) {
    let deep: Record<string, unknown> = {};
    obj.deep = deep;
    for (let i = 0; i < 200; i++) {
      const next = {};
      deep.next = next;
      deep = next;
    }
  }
  if (twist & 128) obj.fn = () => 'function value';
  if (twist & 256) obj.err = Object.assign(new Error('boom'), { code: 'E_BOOM' });
  return obj;
}

/** Any value at all, including hostile objects. */
export const hostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({
    withBigInt: true,
    withBoxedValues: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
  }),
  fc
    .tuple(fc.dictionary(fc.string(), fc.anything()), fc.integer({ min: 0, max: 511 }))
    .map(([o, t]) => harden(o, t)),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, -1, 2 ** 60, Symbol('s'), 10n),
);

/** Attribute sets: mostly objects, hostile or not, and sometimes not an object at all. */
export const attributeSet: fc.Arbitrary<unknown> = fc.oneof(
  fc.dictionary(fc.oneof(fc.string(), fc.constantFrom(...PROTO_KEYS)), hostile),
  hostile,
);

/** Asserts nothing reached Object.prototype or Array.prototype. */
export function prototypesClean(): boolean {
  const probe = {} as Record<string, unknown>;
  return (
    probe.polluted === undefined &&
    ([] as unknown as Record<string, unknown>).polluted === undefined &&
    Object.keys(Object.prototype).length === 0 &&
    !Object.hasOwn(Object.prototype, 'polluted')
  );
}
