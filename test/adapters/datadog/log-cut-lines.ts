import type { LogEntryDefaults } from '../../../adapters/datadog/encode-logs.js';

/** A text over Datadog's 1 MB for one log on its own. */
export const MEGABYTE_TEXT = 'e'.repeat(1_100_000);

const defaults: LogEntryDefaults = { service: 'checkout', hostname: 'web-01', ddtags: 'env:prod' };

/** Lines over 1 MB whose fields a cut keeps whole are over 1 MB themselves. */
export const BIG_FIELD_LINES: readonly { defaults: LogEntryDefaults; line: string }[] = [
  {
    defaults,
    line: JSON.stringify({
      level: 30,
      time: 1,
      msg: 'hi',
      'dd.env': MEGABYTE_TEXT,
      'dd.trace_id': MEGABYTE_TEXT,
    }),
  },
  {
    defaults: { ...defaults, hostname: MEGABYTE_TEXT },
    line: JSON.stringify({ level: 30, time: 1, msg: 'hi' }),
  },
];
