/**
 * A service whose undici call gets a 503 on a connection another call opened. Prints as JSON how
 * many AsyncLocalStorage stores a promise made before that answer and one made after carry, on
 * Node 22, where each storage has a key of its own on every async resource.
 */
import { executionAsyncResource } from 'node:async_hooks';
import { createServer } from 'node:http';
import { Agent, request } from 'undici';
import { init } from '../../src/index.js';
import { memoryExporter } from '../../src/testing/index.js';

const obs = init({
  service: 'answered',
  anomaly: false,
  handleSignals: false,
  logStream: { write: () => {} },
  exporters: [memoryExporter()],
});
const peer = createServer((req, res) => {
  res.statusCode = req.url === '/unavailable' ? 503 : 200;
  res.end('ok');
});
await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
const { port } = peer.address() as { port: number };
const dispatcher = new Agent({ connections: 1 });
const get = async (path: string) =>
  (await request(`http://127.0.0.1:${port}${path}`, { dispatcher })).body.text();

/** The stores a promise made now carries, each under a symbol of its storage's. */
async function stores(): Promise<number> {
  await null;
  return Object.getOwnPropertySymbols(executionAsyncResource()).filter(
    (key) => key.description === 'kResourceStore',
  ).length;
}

await obs.trace('opener', () => get('/opens'));
const counts = await obs.trace('caller', async () => {
  const before = await stores();
  await get('/unavailable');
  return { before, after: await stores() };
});
await dispatcher.close();
peer.close();
await obs.shutdown();
process.stdout.write(JSON.stringify(counts));
