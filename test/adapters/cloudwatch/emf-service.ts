import { cloudwatch } from '../../../adapters/cloudwatch/index.js';
import { init, type Sightline } from '../../../src/index.js';

/** The service the emf child scripts run: emf mode on stdout, collected only when they flush. */
export function startEmfService(service: string): Sightline {
  return init({
    service,
    environment: 'prod',
    outbound: false,
    anomaly: false,
    handleSignals: false,
    metricInterval: 3_600_000,
    exporters: [cloudwatch()],
  });
}
