/**
 * Thrown by `createDetector` when an option is invalid. `code` is `SL_ERR_ANOMALY_<OPTION>`;
 * the message names the option, the value received and how to fix it.
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
export class AnomalyOptionError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'AnomalyOptionError';
    this.code = code;
  }
}
