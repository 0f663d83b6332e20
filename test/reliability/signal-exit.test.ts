/**
 * signal-exit stands aside while another SIGTERM listener is there and ends the process itself
 * once alone; sightline's handleSignals must neither keep the process alive after its flush nor
 * let signal-exit end it before.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const child = fileURLToPath(new URL('./signal-exit-child.ts', import.meta.url));
let collector: Server | undefined;
afterEach(async () => {
  collector?.closeAllConnections();
  await new Promise((r) => (collector ? collector.close(r) : r(undefined)));
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
      const paths: string[] = [];
      collector = createServer((req, res) => {
        paths.push(req.url ?? '');
        req.resume();
        req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
      });
      await new Promise<void>((r) => collector?.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
      const p = spawn(process.execPath, ['--import', 'tsx', child, when, url], {
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
      expect(paths).toContain('/v1/traces');
    },
    20_000,
  );
});
