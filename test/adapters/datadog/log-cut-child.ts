/**
 * Cuts, with the Datadog log encoder, the lines of the "cannot cut its texts alone" tests, in a
 * process of its own: a cut that never ends hangs this process, not the test runner.
 */
import { createLogEncoder } from '../../../adapters/datadog/encode-logs.js';
import { BIG_FIELD_LINES } from './log-cut-lines.js';

const keys = { messageKey: 'msg', levelKey: 'level', timeKey: 'time', timeFormat: 'epoch' } as const;
for (const { defaults, line } of BIG_FIELD_LINES) {
  try {
    createLogEncoder(defaults, () => keys).entry(line);
  } catch {
    // Dropped as too large: an answer too.
  }
}
process.stdout.write('ended\n');
