import type { SightlineConfig } from '../../src/config/types.js';

/**
 * The drain-detector children's options: handleSignals on, detectors at cycles of 200 ms past
 * their warm-up within the load their tests send.
 */
export const drainDetectorOptions = (service: string): SightlineConfig => ({
  service,
  exporters: [],
  logStream: { write: () => {} },
  handleSignals: true,
  shutdownTimeout: 1000,
  metricInterval: 200,
  outbound: false,
  anomaly: { warmup: 10 },
});
