// Compiled by `tsc --noEmit` and `vitest --typecheck`: the structurally typed wrappers must fit the
// real framework types.
import express5 from 'express';
import express4 from 'express4';
import Fastify from 'fastify';
import { it } from 'vitest';
import { expressErrorHandler, expressMiddleware } from '../../src/integrations/express/index.js';
import { log } from '../../src/index.js';
import { sightlineFastify } from '../../src/integrations/fastify/index.js';

it('fits Express 5 apps and routers', () => {
  const app5 = express5();
  app5.use(expressMiddleware());
  app5.use(expressMiddleware({ ignore: ['/health', /^\/internal/, (path) => path === '/ready'] }));
  app5.use(expressErrorHandler());
  express5.Router().use(expressMiddleware({ accessLog: { sampleRate: 0.1 } }));
});

it("types req.log in Express's handlers", () => {
  const app5 = express5();
  app5.get('/orders/:id', (req, res) => {
    req.log.info({ id: req.params.id }, 'order read');
    res.json({});
  });
  const app4 = express4();
  app4.get('/orders/:id', (req, res) => {
    req.log.warn('slow');
    res.json({});
  });
});

it('fits Express 4 apps', () => {
  const app4 = express4();
  app4.use(expressMiddleware({ accessLog: false }));
  app4.use(expressErrorHandler());
});

it('registers as a Fastify plugin, with or without options', () => {
  const fastify = Fastify();
  void fastify.register(sightlineFastify);
  void fastify.register(sightlineFastify, { ignore: '/health', accessLog: { sampleRate: 0.5 } });
});

it("takes the module-level log as Fastify's loggerInstance", () => {
  const fastify = Fastify({ loggerInstance: log });
  void fastify.register(sightlineFastify);
  log.silent('written by no level');
});

it('refuses a sample rate that is not a number', () => {
  // @ts-expect-error sampleRate is a number
  expressMiddleware({ accessLog: { sampleRate: 'all' } });
});
