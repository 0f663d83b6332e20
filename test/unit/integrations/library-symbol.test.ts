import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { sightlineFastify } from '../../../src/integrations/fastify/index.js';
import { librarySymbol } from '../../../src/integrations/shared/library-symbol.js';
import { switchedByWs } from '../../../src/integrations/shared/ws-socket.js';
import { captureStderr, startCaptured } from '../../helpers/capture.js';

let running: { shutdown(): Promise<void> } | undefined;
afterEach(async () => {
  await running?.shutdown();
  running = undefined;
});

/** The diagnostics lines written while `fn` ran under an instance reporting them. */
function diagnosticsOf(fn: () => void): string[] {
  const stderr = captureStderr();
  try {
    running = startCaptured({ diagnostics: 'warn' }).obs;
    fn();
  } finally {
    stderr.restore();
  }
  return stderr.writes.filter((w) => w.includes('symbol_missing'));
}

describe("a library's private symbol, found by its description", () => {
  it('is taken only when it is the one own symbol so described', () => {
    const handler = Symbol('handler');
    expect(librarySymbol({ [handler]: {}, [Symbol('other')]: {} }, 'handler')).toBe(handler);
    expect(librarySymbol({ [Symbol('handler')]: {}, [Symbol('handler')]: {} }, 'handler')).toBeUndefined();
    expect(librarySymbol({}, 'handler')).toBeUndefined();
  });

  it('reports nothing for this Fastify, whose replies keep the error handler next under it', async () => {
    const stderr = captureStderr();
    try {
      running = startCaptured({ diagnostics: 'warn' }).obs;
      const app = Fastify();
      await app.register(sightlineFastify);
      app.setErrorHandler(() => {
        throw new TypeError('error page failed');
      });
      app.get('/fails', async () => {
        throw new RangeError('quota store unreachable');
      });
      expect((await app.inject('/fails')).statusCode).toBe(500);
      await app.close();
    } finally {
      stderr.restore();
    }
    expect(stderr.writes.filter((w) => w.includes('symbol_missing'))).toEqual([]);
  });

  it("reports nothing for a socket ws never took, which has no symbol of ws's", () => {
    const lines = diagnosticsOf(() => {
      expect(switchedByWs({})).toBe(false);
      expect(switchedByWs({ [Symbol('websocket')]: {} })).toBe(true);
    });
    expect(lines).toEqual([]);
  });
});
