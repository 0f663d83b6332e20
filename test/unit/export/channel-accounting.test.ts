import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createChannel } from '../../../src/export/channel.js';
import type { ExportChannel } from '../../../src/export/spec.js';
import { encodeJson, identityHolds, type Reply, startIntake } from './intake-server.js';

type Answer = 'ok' | 'bad' | 'big' | 'busy' | 'down' | 'partial' | 'cut';

const reply = (answer: Answer, batch: number[]): Reply => {
  switch (answer) {
    case 'ok':
      return { status: 200 };
    case 'bad':
      return { status: 400 };
    case 'big':
      return { status: batch.length > 1 ? 413 : 200 };
    case 'busy':
      return { status: 429, headers: { 'retry-after': '0' } };
    case 'down':
      return { status: 503 };
    case 'partial':
      return { status: 200, body: JSON.stringify({ rejected: Math.floor(batch.length / 2), retry: [0] }) };
    case 'cut':
      return { destroyMidResponse: true };
  }
};

describe('accounting under arbitrary backend behaviour', () => {
  it('keeps produced = delivered + dropped + queued while requests are in flight and after shutdown, with the byte budget binding', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom<Answer>('ok', 'bad', 'big', 'busy', 'down', 'partial', 'cut'), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 5, max: 40 }),
        // Items are estimated at 10 to 70 bytes: budgets from under one item's worth to over 40 items' worth.
        fc.integer({ min: 50, max: 2000 }),
        async (answers, count, queueSize, queueBytes) => {
          let channel: ExportChannel<number> | undefined;
          const broken: string[] = [];
          const intake = await startIntake((req, i) => {
            // Checked while the request is in flight: its items must count as queued.
            const s = channel?.stats();
            if (s && !identityHolds(s)) broken.push(JSON.stringify(s));
            return reply(answers[i % answers.length]!, JSON.parse(req.text) as number[]);
          });
          try {
            channel = createChannel<number>(
              {
                adapter: 'prop',
                signal: 'events',
                url: new URL(`${intake.url}/e`),
                limits: { maxItems: 7, maxBytes: 1_000_000 },
                encode: encodeJson,
                sizeOf: (n) => 10 + (n % 7) * 10,
                splitOn413: true,
                onResponse: (res) => (res.body.includes('rejected') ? JSON.parse(res.body) : undefined),
              },
              {
                queueSize,
                queueBytes,
                flushIntervalMs: 5,
                retry: { initialDelayMs: 1, maxDelayMs: 5, maxElapsedMs: 100 },
              },
            );
            for (let i = 0; i < count; i++) {
              channel.push(i);
              if (!identityHolds(channel.stats())) broken.push(JSON.stringify(channel.stats()));
            }
            await channel.forceFlush(2000);
            await channel.shutdown(2000);
            const s = channel.stats();
            expect(broken).toEqual([]);
            expect(identityHolds(s)).toBe(true);
            expect(s.queued).toBe(0);
            expect(s.produced).toBe(count);
          } finally {
            await intake.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
