/**
 * `sightline/cloudwatch`: AWS CloudWatch metrics (EMF or PutMetricData), CloudWatch Logs and X-Ray.
 *
 * @example
 * import { cloudwatch } from 'sightline/cloudwatch';
 * init({ service: 'checkout', exporters: [cloudwatch()] });
 */
export { cloudwatch } from './cloudwatch.js';
export type { AwsCredentials, CloudWatchOptions } from './options.js';
