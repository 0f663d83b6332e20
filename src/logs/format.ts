import type { CustomLevels } from '../export/log-levels.js';
import type { LogFormat, LogKeys } from '../export/types.js';

export const DEFAULT_LOG_KEYS: LogKeys = Object.freeze({
  messageKey: 'msg',
  levelKey: 'level',
  timeKey: 'time',
  timeFormat: 'epoch',
});

/**
 * The first format that names a key decides it; the rest follow the defaults. `levels` holds the
 * values of the custom levels lines are written with.
 */
export function mergeLogKeys(formats: readonly LogFormat[], levels?: CustomLevels): LogKeys {
  const first = <K extends keyof LogFormat>(k: K) => formats.find((f) => f[k] !== undefined)?.[k];
  return Object.freeze({
    messageKey: (first('messageKey') as string | undefined) ?? DEFAULT_LOG_KEYS.messageKey,
    levelKey: (first('levelKey') as string | undefined) ?? DEFAULT_LOG_KEYS.levelKey,
    timeKey: (first('timeKey') as string | undefined) ?? DEFAULT_LOG_KEYS.timeKey,
    timeFormat: (first('timeFormat') as LogKeys['timeFormat'] | undefined) ?? DEFAULT_LOG_KEYS.timeFormat,
    ...(levels ? { levelValue: (label: string) => levels.valueOf(label) } : {}),
  });
}
