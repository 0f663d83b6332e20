/**
 * A span or event name from whatever was passed: the value's `String()`, or `span` when even that
 * throws (an object without a prototype).
 */
export function spanName(name: unknown): string {
  if (typeof name === 'string') return name;
  try {
    return String(name);
  } catch {
    return 'span';
  }
}
