import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

// These tests load the BUILT package (dist/), as a user's ESM and CJS code would, to prove that
// both formats load every entry and share one global state. `npm test` builds first (pretest).
const root = resolve(import.meta.dirname, '../..');
const packageJsonPath = join(root, 'package.json');
const pkg = JSON.parse(readFileSync(packageJsonPath, 'utf8')) as {
  name: string;
  exports: Record<string, string | Record<string, { types: string; default: string }>>;
};
// Both resolve like code inside the package: `sightline/...` goes through the exports map
// (self-reference). ESM is loaded from the URL Node resolves, not from the bare name, because the
// test config aliases the bare name to the sources.
const requireFromPackage = createRequire(packageJsonPath);
const importFromPackage = (specifier: string): Promise<Record<string, unknown>> =>
  import(/* @vite-ignore */ import.meta.resolve(specifier));

type Api = typeof import('../../src/index.js');
type Testing = typeof import('../../src/testing/index.js');
type FastifyEntry = typeof import('../../src/integrations/fastify/index.js');
type ExpressEntry = typeof import('../../src/integrations/express/index.js');
type DatadogEntry = typeof import('../../adapters/datadog/index.js');
type AnomalyEntry = typeof import('../../src/anomaly/index.js');

interface Entry {
  subpath: string;
  specifier: string;
  esm: { types: string; default: string };
  cjs: { types: string; default: string };
}

/** The code entries of the exports map (everything except `./package.json`). */
const entries: Entry[] = Object.entries(pkg.exports).flatMap(([subpath, target]) => {
  if (typeof target === 'string') return [];
  const esm = target.import;
  const cjs = target.require;
  if (esm === undefined || cjs === undefined) {
    throw new Error(`exports["${subpath}"] must have both "import" and "require" conditions`);
  }
  return [{ subpath, specifier: pkg.name + subpath.slice(1), esm, cjs }];
});

beforeAll(() => {
  const missing = entries
    .flatMap((e) => [e.esm.default, e.cjs.default, e.esm.types, e.cjs.types])
    .filter((file) => !existsSync(join(root, file)));
  if (missing.length > 0) {
    throw new Error(
      `the built package is missing ${missing.length} files (${missing.slice(0, 3).join(', ')}` +
        `${missing.length > 3 ? ', ...' : ''}): run \`npm run build\` first ` +
        '(`npm test` does it through its pretest script)',
    );
  }
});

describe('the exports map', () => {
  it('lists the root entry and subpaths, each with ESM and CJS code and types', () => {
    expect(entries.map((e) => e.subpath)).toContain('.');
    expect(entries.length).toBeGreaterThan(1);
  });

  it.each(entries)('$specifier resolves to the files the exports map names', (entry) => {
    expect(import.meta.resolve(entry.specifier)).toBe(pathToFileURL(join(root, entry.esm.default)).href);
    expect(requireFromPackage.resolve(entry.specifier)).toBe(join(root, entry.cjs.default));
  });

  it.each(entries)(
    '$specifier loads with import and with require, with the same named exports',
    async (entry) => {
      const esm = await importFromPackage(entry.specifier);
      const cjs = requireFromPackage(entry.specifier) as Record<string, unknown>;
      const esmNames = Object.keys(esm)
        .filter((name) => name !== 'default')
        .sort();
      expect(esmNames.length, `${entry.specifier} exports nothing`).toBeGreaterThan(0);
      expect(Object.keys(cjs).sort()).toEqual(esmNames);
    },
  );
});

describe('ESM and CJS copies loaded together', () => {
  let esm: Api;
  let cjs: Api;
  let testing: Testing;

  beforeAll(async () => {
    esm = (await importFromPackage(pkg.name)) as unknown as Api;
    cjs = requireFromPackage(pkg.name) as Api;
    testing = requireFromPackage(`${pkg.name}/testing`) as Testing;
  });

  afterEach(async () => {
    await esm?.getSightline()?.shutdown();
  });

  const quietConfig = () => ({
    service: 'dual-state',
    environment: 'test',
    handleSignals: false,
    logStream: { write: () => true },
  });

  it('are two module instances', () => {
    expect(esm.init).not.toBe(cjs.init);
  });

  it('share the instance: init() from ESM, getSightline() from CJS', async () => {
    expect(cjs.getSightline()).toBeUndefined();
    const obs = esm.init(quietConfig());
    expect(cjs.getSightline()).toBe(obs);
    await obs.shutdown();
    expect(cjs.getSightline()).toBeUndefined();
    expect(esm.getSightline()).toBeUndefined();
  });

  it('share the instance: init() from CJS, getSightline() from ESM', () => {
    const obs = cjs.init(quietConfig());
    expect(esm.getSightline()).toBe(obs);
  });

  it('route the other copy’s module-level instruments to the one instance', async () => {
    const memory = testing.memoryExporter();
    const obs = esm.init({ ...quietConfig(), exporters: [memory] });
    cjs.metrics.counter('dual.orders').add(2);
    esm.metrics.counter('dual.orders').add(3);
    await obs.forceFlush();
    const points = memory.metrics().filter((p) => p.name === 'dual.orders');
    expect(points.map((p) => p.value)).toEqual([5]);
  });

  it('name a metric declared in two cases, one in each copy, as first declared, whichever records first', async () => {
    // A CommonJS library declares its counter at load; the application's ESM code spells it its way.
    const library = cjs.metrics.counter('Dual.Placed');
    const application = esm.metrics.counter('dual.placed');
    const memory = testing.memoryExporter();
    const obs = esm.init({ ...quietConfig(), exporters: [memory] });
    application.add(1);
    library.add(1);
    await obs.forceFlush();
    const points = memory.metrics().filter((p) => /^dual\.placed$/i.test(p.name));
    expect(points.map((p) => `${p.name}=${p.value}`)).toEqual(['Dual.Placed=2']);
  });

  it('register the other copy’s module-level observable gauges declared before init()', async () => {
    // A CommonJS library declares its gauge at load time; the application's ESM code calls init().
    cjs.metrics.observableGauge('dual.pool.size', {}, (result) => result.observe(4));
    const memory = testing.memoryExporter();
    const obs = esm.init({ ...quietConfig(), exporters: [memory] });
    await obs.forceFlush();
    const points = memory.metrics().filter((p) => p.name === 'dual.pool.size');
    expect(points.map((p) => p.value)).toEqual([4]);
  });

  it('redact a URL’s secrets in Fastify’s not-found line, the plugin from one copy, the logger from the other', async () => {
    const lines: string[] = [];
    const obs = esm.init({ ...quietConfig(), logStream: { write: (line: string) => lines.push(line) } });
    const { sightlineFastify } = requireFromPackage(`${pkg.name}/fastify`) as FastifyEntry;
    const app = Fastify({ loggerInstance: obs.log });
    await app.register(sightlineFastify);
    try {
      const reply = await app.inject({ url: '/missing?page=2&token=dual-copy-secret' });
      expect(reply.statusCode).toBe(404);
    } finally {
      await app.close();
    }
    const messages = lines.map((line) => JSON.parse(line).msg as string);
    expect(messages).toContain('Route GET:/missing?page=2&token=[Redacted] not found');
    expect(lines.join('\n')).not.toContain('dual-copy-secret');
  });

  it('move a request line’s field named like a correlation field aside, the wrappers from one copy, the logger from the other', async () => {
    // `node --import ./telemetry.mjs server.js`: the ES module preload calls init(), the CommonJS
    // app requires the wrappers. Written as it came, the field would follow the request's own in
    // the line, and a log shipper, reading the last, would file the line under the upstream trace.
    const lines: string[] = [];
    const memory = testing.memoryExporter();
    const obs = esm.init({
      ...quietConfig(),
      exporters: [memory],
      logStream: { write: (line: string) => lines.push(line) },
    });
    const upstream = { trace_id: 'upstream-trace', span_id: 'upstream-span' };
    const express = requireFromPackage('express') as typeof import('express');
    const { expressMiddleware } = requireFromPackage(`${pkg.name}/express`) as ExpressEntry;
    const app = express();
    app.use(expressMiddleware());
    app.get('/express', (req, res) => {
      req.log.info(upstream, 'express line');
      req.log.child(upstream).info('express child line');
      res.send('ok');
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((done) => server.once('listening', done));
    const { sightlineFastify } = requireFromPackage(`${pkg.name}/fastify`) as FastifyEntry;
    const fastify = Fastify({ loggerInstance: obs.log });
    await fastify.register(sightlineFastify);
    fastify.get('/fastify', async (request) => {
      request.log.info(upstream, 'fastify line');
      return 'ok';
    });
    try {
      const { port } = server.address() as import('node:net').AddressInfo;
      await (await fetch(`http://127.0.0.1:${port}/express`)).text();
      await fastify.inject({ url: '/fastify' });
    } finally {
      server.close();
      await fastify.close();
    }
    await obs.forceFlush();
    const traceOf = (name: string) =>
      memory
        .spans()
        .find((span) => span.name === name)
        ?.spanContext().traceId;
    const written = ['express line', 'express child line', 'fastify line'].map((msg) => {
      const line = lines.find((l) => JSON.parse(l).msg === msg);
      return {
        msg,
        trace_id: line && JSON.parse(line).trace_id,
        moved: line && JSON.parse(line)['log.trace_id'],
      };
    });
    expect(written).toEqual([
      { msg: 'express line', trace_id: traceOf('GET /express'), moved: 'upstream-trace' },
      { msg: 'express child line', trace_id: traceOf('GET /express'), moved: 'upstream-trace' },
      { msg: 'fastify line', trace_id: traceOf('GET /fastify'), moved: 'upstream-trace' },
    ]);
    expect(traceOf('GET /express')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('fail init() with the coded error an adapter from the other copy throws at setup', () => {
    const { datadog } = requireFromPackage(`${pkg.name}/datadog`) as DatadogEntry;
    const adapter = datadog({ processEnv: {} });
    let thrown: unknown;
    try {
      esm.init({ ...quietConfig(), environment: 'production', exporters: { production: [adapter] } });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'SL_ERR_CONFIG_MISSING_CREDENTIALS', option: 'apiKey' });
    expect((thrown as Error).message).toContain('DD_API_KEY');
    expect(thrown).toBeInstanceOf(esm.SightlineConfigError);
    expect(thrown).toBeInstanceOf(cjs.SightlineConfigError);
  });

  it("take the other copy's detector option error for an AnomalyOptionError, as their own", async () => {
    // A CommonJS dependency makes the detector; the application's ES module code catches its error.
    const esmAnomaly = (await importFromPackage(`${pkg.name}/anomaly`)) as unknown as AnomalyEntry;
    const cjsAnomaly = requireFromPackage(`${pkg.name}/anomaly`) as AnomalyEntry;
    const thrown = [esmAnomaly, cjsAnomaly].map(({ createDetector }) => {
      try {
        createDetector({ sensitivity: 3 as never });
      } catch (error) {
        return error;
      }
      return undefined;
    });
    for (const error of thrown) {
      expect(error).toMatchObject({ code: 'SL_ERR_ANOMALY_SENSITIVITY', option: 'sensitivity' });
      expect(error).toBeInstanceOf(esmAnomaly.AnomalyOptionError);
      expect(error).toBeInstanceOf(cjsAnomaly.AnomalyOptionError);
      expect(error).toBeInstanceOf(esm.SightlineConfigError);
      expect(error).toBeInstanceOf(cjs.SightlineError);
    }
    // Only the error's own classes: a plain configuration error is no detector option's.
    const config = new cjs.SightlineConfigError('SL_ERR_CONFIG_INVALID_VALUE', 'service', 'bad');
    expect(config).not.toBeInstanceOf(esmAnomaly.AnomalyOptionError);
  });

  it("put bindings set on one copy's module-level log on the lines of the other's children", async () => {
    // An ES module library's logger, made at load and writing from start-up; the CommonJS app
    // binds its cell once it knows it. Last here: the module-level log keeps its bindings.
    const lines: string[] = [];
    esm.log.setBindings({ tier: 'gold' });
    const library = esm.log.child({ mod: 'library' });
    esm.init({ ...quietConfig(), logStream: { write: (line: string) => lines.push(line) } });
    library.info('starting');

    cjs.log.setBindings({ cell: 'c-9' });
    library.info('started');
    esm.log.info('root');

    // It kept the instance's logger it was made on before the other copy's log was bound. Each
    // key once: the ES module's log, bound at init(), is not bound again.
    const started = lines.map((line) => JSON.parse(line)).find((line) => line.msg === 'started');
    expect(started).toMatchObject({ mod: 'library', tier: 'gold', cell: 'c-9' });
    for (const line of lines) expect(line.split('"tier"').length, line).toBe(2);
  });
});
