import { describe, expect, it } from 'vitest';
import { startFaultyBackend } from './faulty-backend.js';
import { load } from './load.js';
import { startService } from './service-process.js';

describe('the service process of the soak and the reliability suite', () => {
  it('removes the output it captured once stopped, so a long soak leaves no gigabytes of log lines behind', async () => {
    const backend = await startFaultyBackend();
    const service = await startService({
      framework: 'express',
      variant: 'sightline',
      backendUrl: backend.url,
    });
    try {
      await load(service.port, 'express', 300, 2);
      expect(service.stdout()).toContain('"route"');
      await service.stop();
      expect(() => service.stdout()).toThrow(/ENOENT/);
      expect(() => service.stderr()).toThrow(/ENOENT/);
    } finally {
      await service.stop();
      await backend.close();
    }
  }, 30_000);
});
