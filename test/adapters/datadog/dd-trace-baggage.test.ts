/**
 * Baggage in dd-trace mode where dd-trace reads none from a request
 * (DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT=ignore, a service at a trust boundary): a request never
 * gets the baggage another request left in dd-trace's store, as one on the same keep-alive
 * connection (a load balancer's, shared by its users) did where that store lives on the
 * connection's async resource (Node 22's default, or --no-async-context-frame).
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { close, listen } from '../../integration/helpers/http-client.js';

const child = fileURLToPath(new URL('./dd-trace-baggage-child.ts', import.meta.url));
const hook = fileURLToPath(new URL('./dd-trace5-hook.ts', import.meta.url));

/** Node's store on the async resource: its default on Node 22, a flag from Node 24. */
const ON_THE_RESOURCE = process.allowedNodeEnvironmentFlags.has('--no-async-context-frame')
  ? ['--no-async-context-frame']
  : [];

/** Runs the service with these node flags; returns what its handlers saw and sent. */
async function runService(flags: string[]): Promise<unknown[]> {
  const agent = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{"rate_by_service":{}}'));
  });
  const downstream = createServer((req, res) => res.end(req.headers.baggage ?? ''));
  try {
    const args = ['--import', 'tsx', ...flags, child, await listen(agent), await listen(downstream)];
    const env = { ...process.env, DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT: 'ignore' };
    const { stdout } = await promisify(execFile)(process.execPath, args, { env });
    return JSON.parse(stdout) as unknown[];
  } finally {
    await Promise.all([close(agent), close(downstream)]);
  }
}

describe.each([
  ['6', []],
  ['5', ['--import', hook]],
])('dd-trace %s, incoming context ignored', (_major, flags) => {
  it('a request gets no baggage of the previous one on its connection', async () => {
    const answers = await runService([...ON_THE_RESOURCE, ...flags]);
    expect(answers).toEqual([{ seen: {} }, { seen: {}, sent: '' }]);
  }, 20_000);
});
