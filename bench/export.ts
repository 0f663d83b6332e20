import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createChannel } from '../src/export/channel.js';
import { printTable, type Row } from './harness.js';

/** A log-record-sized item, as adapters will queue them. */
interface Item {
  time: number;
  level: string;
  msg: string;
  attributes: Record<string, string | number>;
}

const makeItem = (i: number): Item => ({
  time: 1_700_000_000_000 + i,
  level: 'info',
  msg: `order ${i} placed`,
  attributes: { 'order.id': `o-${i}`, region: i % 2 ? 'eu' : 'us', 'http.status_code': 200, amount: i * 1.5 },
});

/** A loopback intake that reads and discards every body, answering 202. */
async function startDiscardServer(): Promise<{ url: string; bytes: () => number; close(): Promise<void> }> {
  let bytes = 0;
  const server = createServer((req, res) => {
    req.on('data', (c: Buffer) => {
      bytes += c.byteLength;
    });
    req.on('end', () => res.writeHead(202).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/intake`,
    bytes: () => bytes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Cost of exporting 10,000 items per cycle through one channel (batches of 1,000, trivial JSON
 * encoder) to a discarding loopback server: push cost per item, and encode + gzip + send per cycle,
 * with the event loop's worst stall while it happens.
 */
export async function runExportBench(
  options: { cycles?: number; itemsPerCycle?: number } = {},
): Promise<Row[]> {
  const cycles = options.cycles ?? 20;
  const perCycle = options.itemsPerCycle ?? 10_000;
  const items = Array.from({ length: perCycle }, (_, i) => makeItem(i));
  const server = await startDiscardServer();
  const rows: Row[] = [];
  for (const gzip of [true, false]) {
    const channel = createChannel<Item>(
      {
        adapter: 'bench',
        signal: 'logs',
        url: new URL(server.url),
        limits: { maxItems: 1000, maxBytes: 5_000_000 },
        encode: (batch) => ({ body: JSON.stringify(batch), contentType: 'application/json' }),
      },
      { gzip, queueSize: perCycle * 2, flushIntervalMs: 60_000 },
    );
    const before = server.bytes();
    const pushNs: number[] = [];
    const cycleMs: number[] = [];
    const stallMs: number[] = [];
    for (let c = 0; c < cycles + 2; c++) {
      const loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable();
      const t0 = process.hrtime.bigint();
      channel.pushAll(items);
      const t1 = process.hrtime.bigint();
      await channel.forceFlush(30_000);
      const t2 = process.hrtime.bigint();
      loop.disable();
      // The first two cycles warm the JIT and the keep-alive connection.
      if (c < 2) continue;
      pushNs.push(Number(t1 - t0) / perCycle);
      cycleMs.push(Number(t2 - t0) / 1e6);
      stallMs.push(loop.max / 1e6);
    }
    const stats = channel.stats();
    await channel.shutdown(5000);
    rows.push({
      variant: gzip ? 'gzip' : 'identity',
      'push ns/item': round(median(pushNs)),
      'cycle ms (10k items)': round(median(cycleMs)),
      'µs/item end to end': round((median(cycleMs) * 1000) / perCycle),
      'max loop stall ms': round(median(stallMs)),
      'wire KB/cycle': round((server.bytes() - before) / (cycles + 2) / 1024),
      delivered: stats.delivered,
      dropped: Object.values(stats.dropped).reduce<number>((a, b) => a + (b ?? 0), 0),
    });
  }
  await server.close();
  return rows;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printTable(
    'Export core: 10,000 items per cycle, batches of 1,000, loopback intake (median of 20 cycles)',
    await runExportBench(),
  );
}
