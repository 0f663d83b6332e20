/**
 * pino's own streams given as `logStream`: what they buffer is written when pino would write it,
 * after `fatal` and at a flush, and the stream stays the caller's.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { getSightline, init } from '../../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sightline-log-stream-'));
const ends: (() => void)[] = [];
afterEach(async () => {
  await getSightline()?.shutdown();
  for (const end of ends.splice(0)) end();
});

function start(logStream: { write(line: string): unknown }) {
  return init({ service: 'files', exporters: [], anomaly: false, outbound: false, logStream });
}

const messages = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { msg: string }).msg);

describe('logStream from pino', () => {
  it('an asynchronous pino.destination() holding lines back (minLength) has them on disk once fatal returns', async () => {
    const file = join(dir, 'fatal.log');
    const destination = pino.destination({ dest: file, sync: false, minLength: 4096 });
    await once(destination, 'ready');
    ends.push(() => destination.end());
    const obs = start(destination);

    obs.log.info('took the order');
    obs.log.fatal('out of memory');

    expect(messages(file)).toEqual(['took the order', 'out of memory']);
  });

  it('a pino.transport() has written its lines once forceFlush(), obs.log.flush(cb) and shutdown() return, and stays open', async () => {
    const file = join(dir, 'transport.log');
    rmSync(file, { force: true });
    const target = fileURLToPath(new URL('appending-transport.mjs', import.meta.url));
    const transport = pino.transport({ target, options: { destination: file } });
    await once(transport, 'ready');
    ends.push(() => transport.end());
    const obs = start(transport);

    obs.log.info('first');
    await obs.forceFlush();
    const afterForceFlush = messages(file);
    obs.log.info('second');
    await new Promise<void>((resolve) => obs.log.flush(() => resolve()));
    const afterFlush = messages(file);
    obs.log.info('third');
    await obs.shutdown();

    expect(afterForceFlush).toEqual(['first']);
    expect(afterFlush).toEqual(['first', 'second']);
    const afterShutdown = messages(file);
    obs.log.info('fourth');
    await new Promise((resolve) => transport.flush(resolve));

    expect(afterShutdown).toEqual(['first', 'second', 'third']);
    expect(messages(file)).toEqual(['first', 'second', 'third', 'fourth']);
  });

  it("obs.log.flush(cb) calls back with the error the stream's flush reports, as pino's does", async () => {
    const destination = pino.destination({ dest: join(dir, 'destroyed.log'), sync: false, minLength: 4096 });
    await once(destination, 'ready');
    const obs = start(destination);
    obs.log.info('buffered');
    destination.destroy();

    const error = await new Promise((resolve) => obs.log.flush(resolve));

    expect(error).toMatchObject({ message: 'SonicBoom destroyed' });
  });

  it('a pino.multistream() gets each line in the streams its level reaches, as under pino', () => {
    const all: string[] = [];
    const errors: string[] = [];
    const obs = start(
      pino.multistream([
        { level: 'info', stream: { write: (line: string) => all.push(line) } },
        { level: 'error', stream: { write: (line: string) => errors.push(line) } },
      ]),
    );

    obs.log.debug('left out');
    obs.log.child({ job: 'sync' }).info('started');
    obs.log.error({ code: 'E1' }, 'failed');

    const msgs = (lines: string[]) => lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs(all)).toEqual(['started', 'failed']);
    expect(msgs(errors)).toEqual(['failed']);
    expect(JSON.parse(all[0] ?? '{}')).toMatchObject({ level: 'info', job: 'sync' });
  });

  it('a stream whose flush takes no callback is done flushing when it returns, not at the deadline', async () => {
    let flushes = 0;
    const stream = {
      write() {},
      flush() {
        flushes++;
      },
    };
    const obs = start(stream);
    obs.log.info('one line');

    const started = performance.now();
    await obs.shutdown({ timeoutMs: 3000 });

    expect(flushes).toBe(1);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('logStream, a Node.js Writable', () => {
  it('an fs.WriteStream has every line in its file when process.exit() follows shutdown()', async () => {
    // Prepare
    const file = join(dir, 'exit.log');
    rmSync(file, { force: true });
    const script = fileURLToPath(new URL('exit-after-file-stream.ts', import.meta.url));

    // Act: the child logs 2,000 lines, awaits shutdown() and exits.
    const child = spawn(process.execPath, ['--import', 'tsx', script, file], { stdio: 'inherit' });
    const [code] = await once(child, 'exit');

    // Assess
    expect(code).toBe(0);
    expect(existsSync(file) ? messages(file) : []).toHaveLength(2000);
  }, 30_000);
});
