import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { createChannel } from '../src/export/channel.js';
import type { ExportChannel } from '../src/export/spec.js';
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

const encode = (batch: readonly Item[]) => ({ body: JSON.stringify(batch), contentType: 'application/json' });
const gzipAsync = promisify(gzipCallback);

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

interface Variant {
  name: string;
  channel?: ExportChannel<Item>;
  /** One export cycle of all items; returns the push time in ns. */
  cycle(items: Item[]): Promise<number>;
  pushNs: number[];
  cycleMs: number[];
  stallMs: number[];
  wireBytes: number;
}

function channelVariant(name: string, url: string, gzip: boolean, perCycle: number): Variant {
  const channel = createChannel<Item>(
    {
      adapter: 'bench',
      signal: 'logs',
      url: new URL(url),
      limits: { maxItems: 1000, maxBytes: 5_000_000 },
      encode,
    },
    { gzip, queueSize: perCycle * 2, flushIntervalMs: 60_000 },
  );
  return {
    name,
    channel,
    async cycle(items) {
      const t0 = process.hrtime.bigint();
      channel.pushAll(items);
      const pushed = Number(process.hrtime.bigint() - t0);
      await channel.forceFlush(30_000);
      return pushed;
    },
    pushNs: [],
    cycleMs: [],
    stallMs: [],
    wireBytes: 0,
  };
}

/** The same sends written by hand (stringify, gzip, one fetch per 1,000 items): the floor the core adds to. */
function rawVariant(url: string): Variant {
  return {
    name: 'raw fetch loop, gzip (baseline)',
    async cycle(items) {
      for (let i = 0; i < items.length; i += 1000) {
        const body = await gzipAsync(encode(items.slice(i, i + 1000)).body);
        const res = await fetch(url, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        });
        await res.arrayBuffer();
      }
      return Number.NaN;
    },
    pushNs: [],
    cycleMs: [],
    stallMs: [],
    wireBytes: 0,
  };
}

/**
 * Cost of exporting 10,000 items per cycle through one channel (batches of 1,000, trivial JSON
 * encoder) to a discarding loopback server: push cost per item, encode + gzip + send per cycle, and
 * the event loop's worst stall meanwhile, against the same sends written by hand. Variants run in
 * alternating order, cycle by cycle, so machine drift hits them alike.
 */
export async function runExportBench(
  options: { cycles?: number; itemsPerCycle?: number } = {},
): Promise<Row[]> {
  const cycles = options.cycles ?? 20;
  const perCycle = options.itemsPerCycle ?? 10_000;
  const items = Array.from({ length: perCycle }, (_, i) => makeItem(i));
  const server = await startDiscardServer();
  const variants = [
    channelVariant('channel, gzip', server.url, true, perCycle),
    channelVariant('channel, no gzip', server.url, false, perCycle),
    rawVariant(server.url),
  ];
  for (let c = 0; c < cycles + 2; c++) {
    const order = c % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      const loop = monitorEventLoopDelay({ resolution: 1 });
      const before = server.bytes();
      loop.enable();
      const t0 = process.hrtime.bigint();
      const pushed = await v.cycle(items);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      loop.disable();
      // The first two cycles warm the JIT and the keep-alive connections.
      if (c < 2) continue;
      v.pushNs.push(pushed / perCycle);
      v.cycleMs.push(ms);
      v.stallMs.push(loop.max / 1e6);
      v.wireBytes = server.bytes() - before;
    }
  }
  const rows: Row[] = [];
  for (const v of variants) {
    const stats = v.channel?.stats();
    await v.channel?.shutdown(5000);
    rows.push({
      variant: v.name,
      'push ns/item': v.channel ? round(median(v.pushNs)) : '-',
      'cycle ms (10k items)': round(median(v.cycleMs)),
      'µs/item end to end': round((median(v.cycleMs) * 1000) / perCycle),
      'max loop stall ms': round(median(v.stallMs)),
      'wire KB/cycle': round(v.wireBytes / 1024),
      'delivered/produced': stats ? `${stats.delivered}/${stats.produced}` : '-',
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
