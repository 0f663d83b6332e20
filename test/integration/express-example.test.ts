/**
 * The checkout API example (examples/express-api) run as its README says, with a loopback
 * inventory API standing in for the Fastify one.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { close, listen, request } from './helpers/http-client.js';

const inventory = createServer();
let example: ChildProcess | undefined;
afterEach(async () => {
  example?.kill('SIGKILL');
  await close(inventory);
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await listen(probe);
  const { port } = probe.address() as AddressInfo;
  await close(probe);
  return port;
}

describe('the Express example', () => {
  it('on SIGTERM, lets a request in flight finish before shutdown, so its span and metric are in the last summary', async () => {
    let held: ServerResponse | undefined;
    const stockAsked = new Promise<void>((resolve) =>
      inventory.on('request', (_req, res) => {
        held = res;
        resolve();
      }),
    );
    const inventoryUrl = await listen(inventory);
    const port = await freePort();
    const p = spawn(process.execPath, ['--import', 'tsx', 'examples/express-api/index.ts'], {
      env: { ...process.env, PORT: String(port), INVENTORY_URL: inventoryUrl },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    example = p;
    let stdout = '';
    p.stdout.on('data', (d) => {
      stdout += d;
    });
    const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
    while (!stdout.includes('checkout API listening')) await new Promise((r) => setTimeout(r, 20));

    const answered = request(`http://127.0.0.1:${port}`, '/checkout/book', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"quantity":1}',
    });
    await stockAsked;
    p.kill('SIGTERM');
    // Long enough for a shutdown that does not wait for the request to be over.
    await new Promise((r) => setTimeout(r, 1000));
    held?.setHeader('content-type', 'application/json').end('{"sku":"book","available":5}');

    expect((await answered).status).toBe(201);
    expect(await exited).toBe(0);
    const summaries = stdout
      .split('\n')
      .filter((l) => l.includes('"sightline summary"'))
      .map((l) => JSON.parse(l) as { summary: { metrics: string[]; spans: string[] } });
    const last = summaries.at(-1)?.summary;
    expect(last?.spans).toContainEqual(expect.stringMatching(/^POST \/checkout\/:sku count=1 errors=0 /));
    // The series as the example's README shows it in the summary, attributes and all.
    const readme = readFileSync('examples/express-api/README.md', 'utf8');
    const shown = readme.match(
      /"(http\.server\.request\.duration\{[^}]*http\.route=\/checkout\/:sku[^}]*status_code=201\})/,
    )?.[1];
    expect(shown).toBeDefined();
    expect(last?.metrics.filter((m) => m.startsWith(`${shown} `))).toEqual([
      expect.stringMatching(/ count=1 /),
    ]);
    // The request's access-log line and its series in the summary give one duration, in ms and
    // in s, as printed here and as the README shows them for its first request.
    const seconds = (text: string) => Number(text.match(/status_code=201\} count=1 avg=([\d.]+)/)?.[1]);
    const millis = (text: string) => Number(text.match(/"status":201,"duration_ms":([\d.]+)/)?.[1]);
    expect(Math.abs(millis(stdout) / 1000 - seconds(last?.metrics.join('\n') ?? ''))).toBeLessThan(0.002);
    expect(Math.abs(millis(readme) / 1000 - seconds(readme))).toBeLessThan(0.002);
  }, 30_000);
});
