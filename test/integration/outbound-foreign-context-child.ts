/**
 * A service where another SDK registered its context manager before init(), one without attach
 * (OpenTelemetry's async_hooks one), or with `after-init` made its own, one with attach
 * (OpenTelemetry's AsyncLocalStorage one), the global one after init(). Its undici call goes through
 * a retry composed outside decompress, on a connection another call opened, and gets a 503 first;
 * prints as JSON the names of the spans its two requests are under.
 */
import { createServer } from 'node:http';
import { context, SpanKind } from '@opentelemetry/api';
import {
  AsyncHooksContextManager,
  AsyncLocalStorageContextManager,
} from '@opentelemetry/context-async-hooks';
import { Agent, interceptors, request } from 'undici';
import { init } from '../../src/index.js';
import { memoryExporter } from '../../src/testing/index.js';

const afterInit = process.argv[2] === 'after-init';
if (!afterInit) context.setGlobalContextManager(new AsyncHooksContextManager().enable());
const memory = memoryExporter();
const obs = init({
  service: 'foreign',
  anomaly: false,
  handleSignals: false,
  logStream: { write: () => {} },
  exporters: [memory],
});
if (afterInit) {
  context.disable();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}
let answered = 0;
const peer = createServer((req, res) => {
  res.statusCode = req.url === '/unavailable-once' && answered++ === 0 ? 503 : 200;
  res.end('ok');
});
await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
const { port } = peer.address() as { port: number };
const dispatcher = new Agent({ connections: 1 }).compose(
  interceptors.decompress(),
  interceptors.retry({ maxRetries: 1, minTimeout: 1, statusCodes: [503] }),
);
const get = async (path: string) =>
  (await request(`http://127.0.0.1:${port}${path}`, { dispatcher })).body.text();

await obs.trace('opener', () => get('/opens'));
await obs.trace('caller', () => get('/unavailable-once'));
await dispatcher.close();
peer.close();
await obs.forceFlush();
const spans = memory.spans();
const names = new Map(spans.map((s) => [s.spanContext().spanId, s.name]));
const parents = spans
  .filter((s) => s.kind === SpanKind.CLIENT && String(s.attributes['url.full']).endsWith('/unavailable-once'))
  .map((s) => names.get(s.parentSpanContext?.spanId ?? ''));
await obs.shutdown();
process.stdout.write(JSON.stringify(parents));
