import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { getSightline } from '../../../src/index.js';
import { startCaptured } from '../../helpers/capture.js';

// A file of its own: the heap snapshot slows what runs after it, and the files beside it time the
// redaction.
afterEach(async () => {
  await getSightline()?.shutdown();
});

describe('what the redaction keeps of a line once written', () => {
  it('holds no text it read for brackets, which may be a secret or a large message', async () => {
    const { obs, lines } = startCaptured({ outbound: false });
    const id = randomUUID();
    // The message is made and dropped inside: only a reference kept past the call holds it.
    (() => obs.log.warn(`retry failed (GET /x?token=${id}-held), giving up`))();
    obs.log.info('GET /orders?page=2 -> 200');
    expect(lines.join('')).not.toContain(id);
    const file = writeHeapSnapshot(join(tmpdir(), `redaction-${id}.heapsnapshot`));
    try {
      expect(readFileSync(file, 'utf8').includes(`${id}-held`)).toBe(false);
    } finally {
      rmSync(file, { force: true });
    }
  });

  it('holds no message for the names of the JSON it quotes, however many and however long', async () => {
    // No exporter: one holds the lines it has yet to send.
    const { obs, lines } = startCaptured({ outbound: false, exporters: [] });
    const heap = () => {
      globalThis.gc?.();
      globalThis.gc?.();
      return process.memoryUsage().heapUsed;
    };
    const note = 'n'.repeat(100_000);
    const before = heap();
    // JSON keyed by ids, as a map of orders is written: a name of 21 characters in a message of
    // 100 KB each line.
    for (let i = 0; i < 300; i++) {
      obs.log.info(`stored {"order-${String(i).padStart(8, '0')}-ref":"a","note":"${note}${i}"}`);
      lines.length = 0;
    }
    const shortNames = heap();
    // A name of 100 KB each line.
    for (let i = 0; i < 300; i++) {
      obs.log.info(`stored {"${'k'.repeat(100_000)}${i}":"a"}`);
      lines.length = 0;
    }
    const longNames = heap();
    expect({ shortNames: shortNames - before < 3e6, longNames: longNames - shortNames < 3e6 }).toEqual({
      shortNames: true,
      longNames: true,
    });
  }, 60_000);
});
