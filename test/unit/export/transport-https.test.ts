import { readFileSync } from 'node:fs';
import { createServer, globalAgent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createChannel } from '../../../src/export/channel.js';
import { channelTracker, encodeJson, FAST_RETRY } from './intake-server.js';

// A self-signed certificate for 127.0.0.1, made for these tests only.
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/tls/${name}`, import.meta.url));
const cert = fixture('intake-cert.pem');
const key = fixture('intake-key.pem');

const tracker = channelTracker();
const trusted = globalAgent.options.ca;
let closeIntake: (() => Promise<void>) | undefined;
afterEach(async () => {
  globalAgent.options.ca = trusted;
  await tracker.checkAndClose();
  await closeIntake?.();
  closeIntake = undefined;
});

async function startTlsIntake(): Promise<{ url: string; bodies: string[] }> {
  const bodies: string[] = [];
  const server = createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closeIntake = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/v1/items`, bodies };
}

function channel(url: string) {
  return tracker.track(
    createChannel<{ id: number }>(
      {
        adapter: 'test',
        signal: 'logs',
        url: new URL(url),
        limits: { maxItems: 100, maxBytes: 1_000_000 },
        encode: encodeJson,
      },
      { flushIntervalMs: 60_000, gzip: false, retry: { ...FAST_RETRY, maxElapsedMs: 300 } },
    ),
  );
}

describe('export over https', () => {
  it('delivers to an intake whose certificate the service trusts on https.globalAgent', async () => {
    const intake = await startTlsIntake();
    globalAgent.options.ca = cert;
    const ch = channel(intake.url);

    ch.pushAll([{ id: 1 }, { id: 2 }]);
    await ch.forceFlush(5000);

    expect(ch.stats()).toMatchObject({ delivered: 2, dropped: {} });
    expect(intake.bodies.map((b) => JSON.parse(b))).toEqual([[{ id: 1 }, { id: 2 }]]);
  });

  it('never sends to an intake whose certificate is not trusted, and counts the items dropped', async () => {
    const intake = await startTlsIntake();
    const ch = channel(intake.url);

    ch.pushAll([{ id: 1 }]);
    await ch.forceFlush(5000);

    expect(intake.bodies).toEqual([]);
    expect(ch.stats()).toMatchObject({ delivered: 0, dropped: { retries_exhausted: 1 } });
  });
});
