import pino from 'pino';
import type { LogStream } from '../config/types.js';

const NEEDS_METADATA: typeof pino.symbols.needsMetadataGsym = pino.symbols.needsMetadataGsym;
/** What pino tells a stream about the line it is about to write, when the stream asks for it. */
const METADATA = ['lastLevel', 'lastObj', 'lastMsg', 'lastTime', 'lastLogger'] as const;

/**
 * Whether the caller's stream reads pino's line metadata: `pino.multistream()` picks the streams a
 * line goes to by its `lastLevel`, and without it writes the line to none.
 */
export function wantsMetadata(stream: LogStream | undefined): boolean {
  return (stream as Record<symbol, unknown> | undefined)?.[NEEDS_METADATA] === true;
}

/** Marks `relay` as wanting the metadata, so that pino sets it there before each line. */
export function askForMetadata(relay: object): void {
  Object.defineProperty(relay, NEEDS_METADATA, { value: true });
}

/** Hands the metadata pino set on `relay` for this line on to the caller's stream. */
export function passMetadata(relay: object, stream: LogStream): void {
  const from = relay as Record<string, unknown>;
  const to = stream as unknown as Record<string, unknown>;
  for (const key of METADATA) to[key] = from[key];
}
