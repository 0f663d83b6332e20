import { readFileSync } from 'node:fs';
import { globalAgent } from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import { createChannel } from '../../../src/export/channel.js';
import { channelTracker, encodeJson, FAST_RETRY, type Intake, startIntake } from './intake-server.js';

// A self-signed certificate for 127.0.0.1, made for these tests only.
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/tls/${name}`, import.meta.url));
const tls = { cert: fixture('intake-cert.pem'), key: fixture('intake-key.pem') };

const tracker = channelTracker();
const trusted = globalAgent.options.ca;
let intake: Intake | undefined;
afterEach(async () => {
  globalAgent.options.ca = trusted;
  await tracker.checkAndClose();
  await intake?.close();
  intake = undefined;
});

function channel(url: string) {
  return tracker.track(
    createChannel<{ id: number }>(
      {
        adapter: 'test',
        signal: 'logs',
        url: new URL(`${url}/v1/items`),
        limits: { maxItems: 100, maxBytes: 1_000_000 },
        encode: encodeJson,
      },
      { flushIntervalMs: 60_000, gzip: false, retry: { ...FAST_RETRY, maxElapsedMs: 300 } },
    ),
  );
}

describe('export over https', () => {
  it('delivers to an intake whose certificate the service trusts on https.globalAgent', async () => {
    intake = await startIntake(() => ({ status: 202 }), 0, tls);
    globalAgent.options.ca = tls.cert;
    const ch = channel(intake.url);

    ch.pushAll([{ id: 1 }, { id: 2 }]);
    await ch.forceFlush(5000);

    expect(ch.stats()).toMatchObject({ delivered: 2 });
    expect(ch.stats()?.dropped).toEqual({});
    expect(intake.requests.map((r) => JSON.parse(r.text))).toEqual([[{ id: 1 }, { id: 2 }]]);
  });

  it('never sends to an intake whose certificate is not trusted, and counts the items dropped', async () => {
    intake = await startIntake(() => ({ status: 202 }), 0, tls);
    const ch = channel(intake.url);

    ch.pushAll([{ id: 1 }]);
    await ch.forceFlush(5000);

    expect(intake.requests).toEqual([]);
    expect(ch.stats()).toMatchObject({ delivered: 0, dropped: { retries_exhausted: 1 } });
  });
});
