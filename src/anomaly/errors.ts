import { markClass, SightlineConfigError, shareClass } from '../diag/errors.js';

/**
 * Thrown by `createDetector` when an option is invalid: a `SightlineConfigError`, as every
 * configuration mistake is, whose `code` is `SL_ERR_ANOMALY_<OPTION>` and `option` the option's
 * name; the message names the option, the value received and how to fix it.
 *
 * @example
 * ```ts
 * try {
 *   createDetector({ sensitivity: 3 });
 * } catch (err) {
 *   if (err instanceof AnomalyOptionError) console.error(err.code); // SL_ERR_ANOMALY_SENSITIVITY
 * }
 * ```
 */
export class AnomalyOptionError extends SightlineConfigError {
  /** `option` is given for an option the detector does not take, whose code names none. */
  constructor(code: `SL_ERR_ANOMALY_${string}`, message: string, option?: string) {
    // Else the option is the code's tail in camel case: SL_ERR_ANOMALY_MIN_RELATIVE_IMPACT, minRelativeImpact.
    super(
      code,
      option ??
        code
          .slice('SL_ERR_ANOMALY_'.length)
          .toLowerCase()
          .replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()),
      message,
    );
    this.name = 'AnomalyOptionError';
    markClass(this, 'AnomalyOptionError');
  }
}

shareClass(AnomalyOptionError, 'AnomalyOptionError');
