/** pino's own levels by value, the names every backend reads. */
const DEFAULT_LEVELS = [
  [60, 'fatal'],
  [50, 'error'],
  [40, 'warn'],
  [30, 'info'],
  [20, 'debug'],
] as const;

export type DefaultLevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** Most custom levels remembered by value: a child logger's are few, made once. */
const MAX_CUSTOM_LEVELS = 256;

/**
 * The name of pino's level at or below `value` (35, a custom `audit`, is `info`; under 20 is
 * `trace`): what a level of its own reads as where only the usual names mean a severity.
 */
export function defaultLevelName(value: number): DefaultLevelName {
  for (const [at, name] of DEFAULT_LEVELS) if (value >= at) return name;
  return 'trace';
}

/** Whether `label` is one of pino's own levels. */
export function isDefaultLevel(label: string): label is DefaultLevelName {
  return (
    label === 'info' ||
    label === 'warn' ||
    label === 'error' ||
    label === 'debug' ||
    label === 'trace' ||
    label === 'fatal'
  );
}

/**
 * The values of the levels child loggers were given (pino's `customLevels: { audit: 35 }`): a line
 * carries only the name, which a backend that knows severities by name alone cannot place.
 */
export class CustomLevels {
  private readonly values = new Map<string, number>();

  record(label: string, value: number): void {
    if (this.values.size < MAX_CUSTOM_LEVELS || this.values.has(label)) this.values.set(label, value);
  }

  /** The value of a custom level written as `label`; undefined for pino's own and unknown ones. */
  valueOf(label: string): number | undefined {
    return this.values.get(label);
  }
}
