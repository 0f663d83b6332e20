import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { SignalStats } from '../../../src/export/index.js';
import { type OtlpCollector, startCollector } from '../otlp/intake-server.js';

const FUNCTION = fileURLToPath(new URL('./lambda-function.ts', import.meta.url));

interface Answer {
  readonly invocation: number;
  readonly start: number;
  readonly end: number;
  readonly traces: SignalStats;
}

/** What an invocation had written to stdout when the process was stopped after its answer. */
interface Written {
  readonly answer: Answer;
  readonly logLines: number;
  readonly documents: Record<string, any>[];
}

const children: ChildProcess[] = [];
let collector: OtlpCollector | undefined;

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await collector?.close();
  collector = undefined;
});

/** Starts the function (its init phase) with stdout read as Lambda reads it. */
async function startFunction(env: Record<string, string>) {
  const fn = spawn(process.execPath, ['--import', 'tsx', FUNCTION], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
  });
  children.push(fn);
  const lines: string[] = [];
  let partial = '';
  fn.stdout?.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  await new Promise((resolve) => fn.once('message', resolve));

  /** Runs one invocation and stops the process the moment it answers, as Lambda freezes or ends it. */
  async function invoke(invocation: number, stop: 'SIGSTOP' | 'SIGKILL'): Promise<Written> {
    fn.send({ invocation });
    const answer = await new Promise<Answer>((resolve) =>
      fn.once('message', (m: Answer) => {
        fn.kill(stop);
        resolve(m);
      }),
    );
    // What the process wrote before it stopped is in the pipe; it can write nothing more now.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, any>);
    return {
      answer,
      logLines: parsed.filter((l) => l.msg === 'handled' && l.invocation === invocation).length,
      documents: parsed.filter((d) => d._aws !== undefined && d.invocation === String(invocation)),
    };
  }
  return { invoke, thaw: () => fn.kill('SIGCONT') };
}

/** The invocation's five log lines and its one EMF document, stamped within the invocation. */
function expectWritten({ answer, logLines, documents }: Written): void {
  expect({ invocation: answer.invocation, logLines }).toEqual({ invocation: answer.invocation, logLines: 5 });
  expect(documents.map((d) => d['orders.placed'])).toEqual([1]);
  expect(documents[0]?._aws.Timestamp).toBeGreaterThanOrEqual(answer.start);
  expect(documents[0]?._aws.Timestamp).toBeLessThanOrEqual(answer.end);
}

describe('emf mode in a Lambda function that flushes at the end of each invocation', () => {
  it("has written the invocation's metrics and log lines and sent its span when it answers, so a freeze or the end of the process loses none", async () => {
    // Prepare: a function with traces to a collector.
    const traces = await startCollector();
    collector = traces;
    const fn = await startFunction({ TRACES_URL: `${traces.url}/v1/traces` });

    // Act: three invocations, the process frozen after the first two and reclaimed after the last.
    const written: Written[] = [];
    for (let invocation = 1; invocation <= 3; invocation++) {
      written.push(await fn.invoke(invocation, invocation === 3 ? 'SIGKILL' : 'SIGSTOP'));
      if (invocation < 3) fn.thaw();
    }

    // Assess: each invocation's output was out before the process stopped.
    for (const w of written) {
      expectWritten(w);
      const spans = traces
        .accepted('traces')
        .filter((r) => r.body.includes(`invocation ${w.answer.invocation}`));
      expect({ invocation: w.answer.invocation, spans: spans.length }).toEqual({
        invocation: w.answer.invocation,
        spans: 1,
      });
    }
  }, 60_000);

  it('answers within the timeout given to forceFlush when the collector is not there, its span kept for the next flush', async () => {
    // Prepare: traces to a port nobody listens on (a function without the ADOT layer).
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const fn = await startFunction({ TRACES_URL: `http://127.0.0.1:${port}/v1/traces`, FLUSH_MS: '300' });

    // Act
    const written = await fn.invoke(1, 'SIGKILL');

    // Assess: the metrics and log lines are out all the same; the span waits, counted as queued.
    expectWritten(written);
    expect(written.answer.end - written.answer.start).toBeLessThan(1500);
    expect(written.answer.traces).toMatchObject({ produced: 1, delivered: 0, queued: 1 });
  }, 60_000);
});
