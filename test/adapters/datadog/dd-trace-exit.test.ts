/**
 * dd-trace holds spans in its writer; its provider's flush only starts sending them. A service
 * that exits right after shutdown(), or on SIGTERM with handleSignals, must still deliver them.
 * dd-trace initialises once per process, so each case runs in a child of its own.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const child = fileURLToPath(new URL('./dd-trace-exit-child.ts', import.meta.url));

describe("traces: 'dd-trace' at exit", () => {
  it.each(['exit', 'signal'])(
    '%s: the spans reach the Agent before the process ends',
    async (how) => {
      const paths: string[] = [];
      const agent = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          paths.push(req.url ?? '');
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"rate_by_service":{}}');
        });
      });
      await new Promise<void>((r) => agent.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(agent.address() as AddressInfo).port}`;
      const p = spawn(process.execPath, ['--import', 'tsx', child, url, how], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      const ready = new Promise<void>((r) =>
        p.stderr.on('data', (d) => {
          stderr += d;
          if (stderr.includes('ready')) r();
        }),
      );
      const exited = new Promise<void>((r) => p.on('exit', () => r()));
      if (how === 'signal') {
        await ready;
        p.kill('SIGTERM');
      }
      await exited;
      agent.closeAllConnections();
      await new Promise((r) => agent.close(r));
      expect(paths.filter((path) => /\/v0\.[45]\/traces$/.test(path))).not.toEqual([]);
    },
    20_000,
  );
});
