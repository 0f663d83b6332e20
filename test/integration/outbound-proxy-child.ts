/**
 * A service whose fetch goes through a forward proxy (started with NODE_USE_ENV_PROXY and
 * HTTP_PROXY). Its tracer provider, standing where dd-trace's would, keeps the spans that have not
 * ended; it prints those and the ended CLIENT spans as JSON. argv: <url to fetch>.
 */
import { SpanKind } from '@opentelemetry/api';
import { NodeTracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { init } from '../../src/index.js';

const open = new Set<ReadableSpan>();
const clients: ReadableSpan[] = [];
const provider = new NodeTracerProvider({
  spanProcessors: [
    {
      onStart: (span) => open.add(span),
      onEnd: (span) => {
        open.delete(span);
        if (span.kind === SpanKind.CLIENT) clients.push(span);
      },
      forceFlush: async () => {},
      shutdown: async () => {},
    },
  ],
});
const obs = init({
  service: 'proxied',
  anomaly: false,
  handleSignals: false,
  logStream: { write: () => {} },
  exporters: [{ name: 'open-spans', setup: () => ({ tracerProvider: provider }) }],
});

await obs.trace('parent', async () => {
  const response = await fetch(process.argv[2]!);
  await response.text();
});
// The tunnel's socket events have settled by then.
await new Promise((resolve) => setTimeout(resolve, 50));
process.stdout.write(
  `${JSON.stringify({
    open: [...open].map((s) => s.name),
    clients: clients.map((s) => ({
      name: s.name,
      url: s.attributes['url.full'],
      spanId: s.spanContext().spanId,
    })),
  })}\n`,
);
await obs.shutdown();
