import { afterEach, describe, expect, it } from 'vitest';
import { getSightline, log } from '../../../src/index.js';
import { startCaptured } from '../../helpers/capture.js';

// A file of its own: bindings set on the module-level `log` hold for every later instance.
afterEach(async () => {
  await getSightline()?.shutdown();
});

/** The keys a raw line holds, in order, duplicates kept (JSON.parse keeps only the last). */
function keysOf(line: string): string[] {
  return [...line.matchAll(/[{,]"([^"]+)":/g)].map(([, key]) => key ?? '');
}

describe("the module-level log's bindings", () => {
  it("reach the instance's logger when set while it runs, before the module-level log wrote a line", () => {
    // Prepare: the first test of the file, while nothing was bound to the module-level log before.
    const { obs, lines } = startCaptured();

    // Act: what an app does at start, after init(): its request loggers are children of obs.log.
    log.setBindings({ shard: 7 });
    obs.log.info('first');
    obs.log.child({ reqId: 'r-1' }).info('request');

    // Assess: they were held until a line went through the module-level log itself.
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toMatchObject([
      { msg: 'first', shard: 7 },
      { msg: 'request', shard: 7, reqId: 'r-1' },
    ]);
    for (const line of lines) expect(keysOf(line), line).toEqual([...new Set(keysOf(line))]);
  });

  it('are written once on the lines of its children, made before init() or after', () => {
    // Prepare: what a library does at load, before init(): bindings, then a child.
    log.setBindings({ region: 'eu' });
    const early = log.child({ mod: 'early' });

    // Act
    const { lines } = startCaptured();
    const late = log.child({ mod: 'late' });
    log.setBindings({ zone: 'a' });
    const later = log.child({ mod: 'later' });
    early.info('early child');
    late.info('late child');
    later.info('later child');
    log.info('root');

    // Assess: each key once, as pino writes a child's bindings (Fastify's request loggers, with
    // `loggerInstance: log`, are such children); it was written twice.
    for (const line of lines) {
      const keys = keysOf(line);
      expect(keys, line).toEqual([...new Set(keys)]);
    }
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toMatchObject([
      { msg: 'early child', region: 'eu', mod: 'early', zone: 'a' },
      { msg: 'late child', region: 'eu', mod: 'late', zone: 'a' },
      { msg: 'later child', region: 'eu', mod: 'later', zone: 'a' },
      { msg: 'root', region: 'eu', zone: 'a' },
    ]);
  });

  it("are among its children's bindings() before init() and after shutdown(), as while one runs", async () => {
    // Prepare: a library's logger, made at load under bindings the app set on `log`.
    log.setBindings({ team: 'payments' });
    const db = log.child({ mod: 'db' });
    const table = db.child({ table: 'orders' });
    const read = () => [db.bindings(), table.bindings()];
    const expected = [
      { team: 'payments', mod: 'db' },
      { team: 'payments', mod: 'db', table: 'orders' },
    ];

    // Act and assess (earlier tests bound more keys): pino's child reports its parent's bindings
    // with its own, as the proxies do while an instance runs; before init() and after shutdown()
    // the module-level log's were missing.
    expect(read()).toMatchObject(expected);
    const { obs } = startCaptured();
    expect(read()).toMatchObject(expected);
    await obs.shutdown();
    expect(read()).toMatchObject(expected);
  });

  it('set while an instance runs reach all its children alike, whether they wrote or set a level', () => {
    // Prepare: three libraries' loggers, made at load: one given a level of its own, one that
    // writes before the app binds its cell, one that does not.
    const leveled = log.child({ mod: 'leveled' });
    leveled.level = 'debug';
    const early = log.child({ mod: 'early' });
    const quiet = log.child({ mod: 'quiet' });
    const { lines } = startCaptured();
    early.info('before');

    // Act
    log.setBindings({ cell: 'c-3' });
    leveled.debug('leveled');
    early.info('early');
    quiet.info('quiet');

    // Assess: the quiet one alone had it; the others, made on the instance's logger before it
    // was bound (the one with a level as init() ran), never did.
    expect(lines.slice(1).map((l) => JSON.parse(l) as Record<string, unknown>)).toMatchObject([
      { msg: 'leveled', mod: 'leveled', cell: 'c-3', level: 'debug' },
      { msg: 'early', mod: 'early', cell: 'c-3' },
      { msg: 'quiet', mod: 'quiet', cell: 'c-3' },
    ]);
    for (const line of lines) expect(keysOf(line), line).toEqual([...new Set(keysOf(line))]);
  });
});
