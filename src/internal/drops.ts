import type { Diag } from '../diag/diag.js';

/** Why sightline dropped or repaired an input before it reached the OpenTelemetry SDK. */
export type InputDropReason =
  | 'invalid_value'
  | 'negative_increment'
  | 'negative_value'
  | 'invalid_attribute'
  | 'invalid_link'
  | 'invalid_event'
  | 'invalid_status'
  | 'detached_span_method'
  | 'baggage_limit'
  | 'truncated_attribute'
  | 'attribute_count_limit'
  | 'event_count_limit'
  | 'link_count_limit'
  | 'after_shutdown'
  | 'after_span_end'
  | 'callback_error'
  | 'callback_timeout'
  | 'observed_late'
  | 'log_error'
  | 'log_stdout_full'
  | 'log_stdout_closed'
  | 'log_stream_error'
  | 'listener_error'
  | 'instrument_error'
  | 'invalid_function'
  | 'metric_name_limit'
  | 'invalid_buckets'
  | 'anomaly_series_limit';

const EXPLAIN: Record<InputDropReason, string> = {
  invalid_value: 'a metric value that is not a finite number was dropped',
  negative_increment:
    'a negative counter increment was dropped (use an up-down counter for values that go down)',
  negative_value: 'a negative histogram value was dropped (histograms take no negative values; use a gauge)',
  invalid_attribute:
    'an attribute without a name, or whose value is not a string, number, boolean or array of them, was removed; or one named _aws was left out of CloudWatch dimensions, since EMF keeps its metadata under that name',
  invalid_link:
    'a span link to no valid span context (none, or ids that are not 32 and 16 hex digits), or one that could not be read, was removed from its span',
  invalid_event:
    'a span event or exception that could not be read (a getter or proxy that throws, a symbol for an exception), or an exception with neither a type nor a message (recordException(42)), was not recorded',
  invalid_status: 'a span status that could not be read (none, a getter that throws) was not set',
  baggage_limit:
    "a baggage entry of the context was left out of the baggage header a call sent: it would have passed W3C Baggage's 8,192 bytes or 180 entries, alone or beside the entries the call was given, or was itself over OpenTelemetry's 4,096 bytes",
  detached_span_method:
    'a span method was called off its span (`const { end } = span; end()`), so with no span to act on: what it was given was not recorded, and the span such an end() was for was never ended nor sent',
  truncated_attribute:
    "an attribute string longer than maxAttributeLength, or than the backend takes, was truncated: a Datadog tag or metric name past 200 characters, a New Relic metric or attribute name past 254 or metric attribute value past 4,096, a CloudWatch metric name past 255 (1,024 in EMF), dimension name past 250 or value past 1,024 (each then ending in a digest of the whole, so the series it told apart stay apart), or a New Relic log line's message or value past 128 KB or anomaly event's value past 4,096, or a Datadog log entry cut to fit 1 MB",
  attribute_count_limit:
    "an attribute past the backend's limit was left out: New Relic's 100 per metric point (shared ones included; a digest of those left out keeps its series apart), 255 per log line or event, or CloudWatch's 30 dimensions; or one past a span's attribute count limits (OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT and the per event and per link ones, 128 by default)",
  event_count_limit:
    'a span event past OTEL_SPAN_EVENT_COUNT_LIMIT (128 by default) was left out of its span; the span keeps the latest',
  link_count_limit:
    'a span link past OTEL_SPAN_LINK_COUNT_LIMIT (128 by default) was left out of its span; the span keeps the latest',
  after_shutdown: 'a recording after shutdown() was dropped',
  after_span_end:
    'an attribute, event, exception, link or status given to a span after it ended was dropped (work the span did not wait for, still holding it)',
  callback_error:
    'an observable gauge callback threw or rejected; its observations for that cycle were dropped',
  callback_timeout:
    'an async observable gauge callback was still pending when the collection could wait no longer; its observations for that cycle were dropped',
  observed_late:
    "an observable gauge's value was dropped: observed after its collection was over, from a promise its callback did not return (return it, or make the callback async and await it); one a callback the collection no longer waited for observes is counted with it, as callback_timeout",
  log_error: 'a log call could not be serialised and was dropped',
  log_stdout_full:
    "a log line was dropped: stdout's reader has fallen behind, with 16 MiB of lines already waiting, or stopped taking them as the process exited",
  log_stdout_closed:
    "a log line was lost: stdout's reader has gone (a closed pipe), or stdout refused it (a file on a full disk)",
  log_stream_error: "a log line was lost: the logStream's write threw or rejected",
  listener_error: 'an onAnomaly listener threw or rejected; the error was swallowed',
  instrument_error:
    'an instrument could not be created (a name that is not a string, options that cannot be read); a no-op instrument was returned',
  invalid_function:
    'obs.trace was called without a function, so nothing ran and no span was made, or obs.onAnomaly was given a listener that is no function, so nothing was subscribed',
  metric_name_limit:
    'a recording was dropped: its instrument was made under a new metric name once 2,000 names had instruments (a name made at run time, such as one per customer, belongs in an attribute)',
  invalid_buckets:
    "a histogram's buckets were not numbers in increasing order; OpenTelemetry's default buckets were used",
  anomaly_series_limit:
    'a series was not watched for anomalies: all anomaly.maxSeries watched series are live, busy rates silent or gauges held at their last values for less than a day, or left unjudged in a drain (counted per cycle)',
};

/** Where an instance keeps its drop counter, for the integrations given the instance alone. */
export const DROPS = Symbol.for('sightline.drops');

const NO_DROPS: Pick<DropCounter, 'add'> = { add() {} };

/** The drop counter of an instance; one counting nothing for an object that has none. */
export function dropsOf(owner: object): Pick<DropCounter, 'add'> {
  return (owner as { [DROPS]?: Pick<DropCounter, 'add'> })[DROPS] ?? NO_DROPS;
}

/** Counts inputs dropped or repaired, by reason, and reports each reason once through diag. */
export class DropCounter {
  readonly counts: Record<string, number> = Object.create(null);
  constructor(private readonly diag: Diag) {}

  add(reason: InputDropReason, n = 1): void {
    const prev = this.counts[reason];
    if (prev === undefined) this.diag.once(`drop.${reason}`, EXPLAIN[reason]);
    this.counts[reason] = (prev ?? 0) + n;
  }

  snapshot(): Record<string, number> {
    return { ...this.counts };
  }
}
