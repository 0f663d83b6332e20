import { describe, expect, it, vi } from 'vitest';
import { startApi } from './helpers.js';
import { startAwsIntake } from './intake-server.js';

let loads = 0;
// A process out of file handles for a moment as the SDK is first loaded: Node 24 reports the
// package.json it could not read as an invalid package config, with the system's reason.
vi.mock('@aws-sdk/client-cloudwatch', async (importOriginal) => {
  if (loads++ > 0) return importOriginal();
  throw Object.assign(
    new Error(
      'Cannot read package config /srv/app/node_modules/@aws-sdk/client-cloudwatch/package.json: too many open files.',
    ),
    { code: 'ERR_INVALID_PACKAGE_CONFIG' },
  );
});

describe('api mode with an AWS SDK that fails to load for want of file handles', () => {
  it('retries the batch, which goes out once the SDK loads, instead of dropping it as client_unavailable', async () => {
    const intake = await startAwsIntake();
    const { obs } = startApi(intake.url, { logs: false, events: false });
    try {
      obs.metrics.counter('orders.placed').add(1);
      await obs.forceFlush({ timeoutMs: 10_000 });
      const metrics = obs.stats().cloudwatch?.metrics;
      // The failed import, then the SDK by require, as Node would give the failure again to an import.
      expect(loads).toBe(1);
      expect(metrics?.dropped).toEqual({});
      expect(metrics?.delivered).toBe(metrics?.produced);
      expect(intake.requests.length).toBeGreaterThan(0);
    } finally {
      await obs.shutdown({ timeoutMs: 1000 });
      await intake.close();
    }
  });
});
