/**
 * signal-exit stands aside while another SIGTERM listener is there and ends the process itself
 * once alone; sightline's handleSignals must neither keep the process alive after its flush nor
 * let signal-exit end it before.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type FaultyBackend, startFaultyBackend } from './faulty-backend.js';

const child = fileURLToPath(new URL('./signal-exit-child.ts', import.meta.url));
let collector: FaultyBackend | undefined;
afterEach(async () => {
  await collector?.close();
  collector = undefined;
});

describe('handleSignals with signal-exit listening too', () => {
  it.each([
    ['no signal-exit', 'none'],
    ['signal-exit registered before init()', 'before'],
    ['signal-exit registered after init()', 'after'],
  ])(
    '%s: SIGTERM flushes, then the process ends by the signal',
    async (_label, when) => {
      collector = await startFaultyBackend();
      const p = spawn(process.execPath, ['--import', 'tsx', child, when, collector.url], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      await new Promise<void>((r) =>
        p.stderr.on('data', (d) => {
          stderr += d;
          if (stderr.includes('ready')) r();
        }),
      );
      const exited = new Promise<unknown>((r) => p.on('exit', (code, signal) => r({ code, signal })));
      p.kill('SIGTERM');
      const outcome = await Promise.race([
        exited,
        new Promise((r) => setTimeout(() => r('still running'), 6000)),
      ]);
      p.kill('SIGKILL');
      expect(outcome).toEqual({ code: null, signal: 'SIGTERM' });
      expect(collector.received.traces).toBeGreaterThan(0);
    },
    20_000,
  );
});
