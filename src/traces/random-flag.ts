import {
  type Context,
  context,
  INVALID_TRACEID,
  isSpanContextValid,
  type Span,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { NodeTracerProvider, type NodeTracerConfig } from '@opentelemetry/sdk-trace-node';
import type { DropCounter } from '../internal/drops.js';
import { unsampledMethods } from './guarded-span.js';

/** W3C Trace Context Level 2's `random` trace flag: the trace id's right 56 bits are random. */
export const RANDOM_TRACE_ID = 0x02;

/** The tracers whose spans keep the flag already. */
const keeping = new WeakSet<Tracer>();

/**
 * Gives a span its parent's random flag, which says how the trace id was made and so goes on with
 * the trace: the SDK gives a child the sampled flag alone, and a span its sampler left out (a
 * caller's `-02`, not sampled) no flag at all, which its calls out then sent as `-00`. A span that
 * starts a trace has it where its id is random, as W3C Trace Context Level 2 asks of the one who
 * makes the id.
 */
function keepRandomFlag(tracer: Tracer, randomIds: boolean, drops: Pick<DropCounter, 'add'>): void {
  if (keeping.has(tracer)) return;
  keeping.add(tracer);
  const start = tracer.startSpan;
  let unsampled: ReturnType<typeof unsampledMethods> | undefined;
  tracer.startSpan = function (this: Tracer, name, options, ctx: Context = context.active()): Span {
    const span = start.call(this, name, options, ctx);
    // One its sampler left out (the SDK's guard sees only those that record) is guarded too, by the
    // store of its methods: off its span, its spanContext() threw into the caller's code, and the
    // attributes of no attribute value it was given went uncounted, where its options' were counted.
    if (!span.isRecording()) {
      unsampled ??= unsampledMethods(Object.getPrototypeOf(span) as Span, drops);
      Object.assign(span, unsampled);
    }
    const own = span.spanContext();
    const parent = options?.root ? undefined : trace.getSpanContext(ctx);
    if (parent !== undefined && own.traceId === parent.traceId) {
      // Not the invalid context a suppressed span shares, nor a new trace's under an invalid parent.
      if ((parent.traceFlags & RANDOM_TRACE_ID) !== 0 && isSpanContextValid(parent))
        own.traceFlags |= RANDOM_TRACE_ID;
    } else if (randomIds && own.traceId !== INVALID_TRACEID) own.traceFlags |= RANDOM_TRACE_ID;
    return span;
  };
}

/**
 * OpenTelemetry's Node tracer provider, whose tracers' spans keep their parent's random flag, and
 * set it on a trace they start unless the ids are an id generator's that does not say its trace ids
 * are random.
 */
export class RandomFlagTracerProvider extends NodeTracerProvider {
  private readonly randomIds: boolean;
  private readonly drops: Pick<DropCounter, 'add'>;
  constructor(config: NodeTracerConfig & { randomTraceIds: boolean; drops: Pick<DropCounter, 'add'> }) {
    super(config);
    this.randomIds = config.randomTraceIds;
    this.drops = config.drops;
  }

  override getTracer(name: string, version?: string, options?: { schemaUrl?: string }): Tracer {
    const tracer = super.getTracer(name, version, options);
    keepRandomFlag(tracer, this.randomIds, this.drops);
    return tracer;
  }
}
