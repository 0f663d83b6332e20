import type { IdGenerator } from '@opentelemetry/sdk-trace-base';

const HEX32 = /^[0-9a-f]{32}$/;
const words = new Uint32Array(3);
const hex8 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');

function randomWord(): number {
  return (Math.random() * 0x1_0000_0000) >>> 0;
}

/**
 * Trace ids X-Ray accepts as its own: the first 8 hex digits are the start time in Unix epoch
 * seconds, the other 24 random (96 bits); span ids are 16 random hex digits, never all zero.
 * What `cloudwatch({ xrayIds: true })` gives sightline's tracer provider.
 *
 * @example
 * const ids = new XRayIdGenerator();
 * toXRayTraceId(ids.generateTraceId()); // '1-6553f100-0af7651916cd43dd8448eb21'
 */
export class XRayIdGenerator implements IdGenerator {
  private readonly nowMs: () => number;

  /** `nowMs` is the clock for the time prefix (tests pin it). */
  constructor(nowMs: () => number = Date.now) {
    this.nowMs = nowMs;
  }

  generateTraceId(): string {
    const seconds = Math.floor(this.nowMs() / 1000);
    do {
      words[0] = randomWord();
      words[1] = randomWord();
      words[2] = randomWord();
    } while (words[0] === 0 && words[1] === 0 && words[2] === 0);
    return hex8(seconds) + hex8(words[0] ?? 0) + hex8(words[1] ?? 0) + hex8(words[2] ?? 0);
  }

  generateSpanId(): string {
    let hi = randomWord();
    const lo = randomWord();
    if (hi === 0 && lo === 0) hi = 1;
    return hex8(hi) + hex8(lo);
  }
}

/**
 * An OpenTelemetry trace id in X-Ray form, `1-<first 8 hex>-<remaining 24 hex>`; `undefined` when
 * the input is not 32 lowercase hex digits.
 *
 * @example
 * toXRayTraceId('5759e988bd862e3fe1be46a994272793'); // '1-5759e988-bd862e3fe1be46a994272793'
 */
export function toXRayTraceId(traceId: string): string | undefined {
  if (!HEX32.test(traceId)) return undefined;
  return `1-${traceId.slice(0, 8)}-${traceId.slice(8)}`;
}
