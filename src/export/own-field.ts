/**
 * Sets a field of an object being encoded, one named `__proto__` (a logged parsed query or JSON
 * body, an attribute from parsed JSON) included: assigning that name would set the object's
 * prototype, or do nothing for a primitive, and the field would be missing from what is sent.
 */
export function setField(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
