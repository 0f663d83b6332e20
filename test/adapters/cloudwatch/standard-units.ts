const SIZES = ['Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes'];
const BITS = ['Bits', 'Kilobits', 'Megabits', 'Gigabits', 'Terabits'];

/**
 * The units CloudWatch accepts (its StandardUnit values, as the EMF specification and PutMetricData
 * list them), written out here so the checks never take them from the encoder they check.
 */
export const STANDARD_UNITS: readonly string[] = [
  'Seconds',
  'Microseconds',
  'Milliseconds',
  ...SIZES,
  ...BITS,
  'Percent',
  'Count',
  ...[...SIZES, ...BITS, 'Count'].map((u) => `${u}/Second`),
  'None',
];
