import pino from 'pino';

/** A `redact` entry with a dot or a bracket is a path for pino; any other is a key matched at any depth. */
export function isRedactPath(entry: string): boolean {
  return entry.includes('.') || entry.includes('[');
}

const discard = { write() {} };

/**
 * The first path that pino would refuse when the logger is built. pino itself checks each one, so
 * the syntax accepted is exactly its own, quirks included ('.' fails with a TypeError there).
 */
export function findInvalidRedactPath(entries: readonly string[]): string | undefined {
  for (const entry of entries) {
    if (!isRedactPath(entry)) continue;
    try {
      pino({ redact: { paths: [entry] } }, discard);
    } catch {
      return entry;
    }
  }
  return undefined;
}
