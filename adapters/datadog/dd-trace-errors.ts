import {
  type Exception,
  type Span,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
} from '@opentelemetry/api';

const kMessage = Symbol('sightline.exceptionMessage');

type Tracked = Span & { [kMessage]?: string };

/**
 * Gives a dd-trace span marked failed what sightline's own spans have. dd-trace writes the status
 * description to `error.message`, so an error status without one (an HTTP span's 5xx, a call out
 * that failed) erased the message `recordException` had set, and Datadog's error tracking saw the
 * error without it. Such a status now carries the last exception's message, as the Agent gives an
 * OTLP span. The exception's type, message and stack and the status description go through
 * `fitText` (URL secrets redacted, cut to `maxAttributeLength`): dd-trace sends them whole, twice
 * (its `error.*` tags and the exception event), so an error quoting an upstream's error page of
 * megabytes made a request of tens of megabytes to the Agent. Only failed spans pay for it.
 */
export function exceptionKeeper(fitText: (key: string, value: string) => string): (span: Span) => Span {
  const fitted = (key: string, value: unknown): unknown =>
    typeof value === 'string' ? fitText(key, value) : value;

  function recordException(this: Tracked, exception: Exception, time?: TimeInput): void {
    // Nothing thrown (`throw undefined`) is no exception to record, as OpenTelemetry's SDK takes it:
    // dd-trace reads its name, and would throw into the catch block recording it.
    if (exception === undefined || exception === null) return;
    const record = Object.getPrototypeOf(this).recordException;
    // An ended span takes nothing more, as in OpenTelemetry mode: nothing to fit, no cut to count.
    if (!this.isRecording()) {
      record.call(this, exception, time);
      return;
    }
    let recorded = exception;
    if (typeof exception === 'string') recorded = fitText('exception.message', exception);
    else if (exception !== null && typeof exception === 'object') {
      const { name, message, stack } = exception;
      const type = fitted('exception.type', name);
      const text = fitted('exception.message', message);
      const trace = fitted('exception.stacktrace', stack);
      if (type !== name || text !== message || trace !== stack)
        // Spread for what else dd-trace reads (a code, `escaped`); an Error's texts are not enumerable.
        recorded = { ...exception, name: type, message: text, stack: trace } as Exception;
    }
    const message = typeof recorded === 'string' ? recorded : recorded?.message;
    if (typeof message === 'string' && message !== '') this[kMessage] = message;
    record.call(this, recorded, time);
  }

  function setStatus(this: Tracked, status: SpanStatus): Span {
    const message = this[kMessage];
    let kept = status;
    // Fitted only while the span takes it: an ended one's is not sent, and its cut not counted.
    if (status?.code === SpanStatusCode.ERROR && this.isRecording()) {
      if (status.message === undefined) {
        if (message !== undefined) kept = { code: status.code, message };
      } else if (typeof status.message === 'string') {
        const text = fitText('message', status.message);
        if (text !== status.message) kept = { code: status.code, message: text };
      }
    }
    return Object.getPrototypeOf(this).setStatus.call(this, kept);
  }

  return (span) => {
    span.recordException = recordException;
    span.setStatus = setStatus;
    return span;
  };
}
