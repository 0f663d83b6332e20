import { afterEach, describe, expect, it, vi } from 'vitest';
import { getSightline } from '../../../src/index.js';
import { captureStderr } from '../../helpers/capture.js';
import { startApi } from './helpers.js';
import { type AwsIntake, startAwsIntake } from './intake-server.js';

// An install missing one of the SDK's own dependencies (a partial Lambda layer, a pruned
// node_modules): the package resolves, as init() checks, but importing it fails.
vi.mock('@aws-sdk/client-cloudwatch', () => {
  throw Object.assign(new Error("Cannot find package '@smithy/smithy-client'"), {
    code: 'ERR_MODULE_NOT_FOUND',
  });
});

let intake: AwsIntake | undefined;
afterEach(async () => {
  await getSightline()?.shutdown({ timeoutMs: 1000 });
  await intake?.close();
  intake = undefined;
});

describe('api mode with an AWS SDK that is installed but fails to load', () => {
  it('drops each batch once as client_unavailable and says why, instead of retrying it as a network failure', async () => {
    intake = await startAwsIntake();
    const stderr = captureStderr();
    try {
      const { obs } = startApi(intake.url, { logs: false, events: false }, { diagnostics: 'warn' });
      obs.metrics.counter('orders.placed').add(1);
      const started = performance.now();
      await obs.forceFlush({ timeoutMs: 10_000 });
      const metrics = obs.stats().cloudwatch?.metrics;
      expect(metrics?.retried).toBe(0);
      expect(Object.keys(metrics?.dropped ?? {})).toEqual(['client_unavailable']);
      expect(metrics?.queued).toBe(0);
      expect(performance.now() - started).toBeLessThan(1000);
      const said = stderr.writes.join('');
      expect(said).toContain('@aws-sdk/client-cloudwatch');
      expect(said).toContain('ERR_MODULE_NOT_FOUND');
    } finally {
      stderr.restore();
    }
  });
});
