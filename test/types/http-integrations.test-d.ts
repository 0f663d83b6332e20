// Compiled by `tsc --noEmit`: the structurally typed wrappers must fit the real framework types.
import express5 from 'express';
import express4 from 'express4';
import Fastify from 'fastify';
import { expressErrorHandler, expressMiddleware } from '../../src/integrations/express/index.js';
import { sightlineFastify } from '../../src/integrations/fastify/index.js';

const app5 = express5();
app5.use(expressMiddleware());
app5.use(expressMiddleware({ ignore: ['/health', /^\/internal/, (path) => path === '/ready'] }));
app5.use(expressErrorHandler());
express5.Router().use(expressMiddleware({ accessLog: { sampleRate: 0.1 } }));

const app4 = express4();
app4.use(expressMiddleware({ accessLog: false }));
app4.use(expressErrorHandler());

const fastify = Fastify();
void fastify.register(sightlineFastify);
void fastify.register(sightlineFastify, { ignore: '/health', accessLog: { sampleRate: 0.5 } });

// @ts-expect-error sampleRate is a number
expressMiddleware({ accessLog: { sampleRate: 'all' } });
