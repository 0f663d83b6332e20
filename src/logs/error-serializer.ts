import pino from 'pino';
import { isError, type Redactor } from './redact.js';

/**
 * pino's error serializer, which also writes an error whose message is no string (`err.message =
 * { code: 7 }`, as some clients set the body they were answered) as an error: pino takes it for no
 * error and writes its enumerable fields only (`{}`), losing its type and stack. Its message is
 * written as its JSON text, redacted as the line is, so `message` stays text for every backend.
 *
 * @example
 * pino({ serializers: { err: errorSerializer(redact) } });
 */
export function errorSerializer(redact: Redactor): (err: unknown) => unknown {
  const std = pino.stdSerializers.err as (err: unknown) => unknown;
  return (err) => {
    if (err === null || typeof err !== 'object' || !isError(err)) return std(err);
    const message: unknown = err.message;
    if (typeof message === 'string') return std(err);
    let text: string;
    try {
      text =
        (typeof message === 'object' && message !== null
          ? JSON.stringify(redact.whole(message))
          : undefined) ?? String(message);
    } catch {
      // A message neither JSON nor String() can write (a BigInt inside, no prototype): as pino writes it.
      return std(err);
    }
    // The error as its prototype, read by pino's serializer as the error itself but for its message.
    return std(Object.create(err, { message: { value: text } }));
  };
}
