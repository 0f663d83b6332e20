export { init } from './api/init.js';
export { getSightline } from './api/global.js';
export { metrics, log, trace, type ProxyLogger } from './api/proxies.js';
export type {
  Sightline,
  Metrics,
  Counter,
  UpDownCounter,
  Histogram,
  Gauge,
  ObservableResult,
  InstrumentOptions,
  HistogramOptions,
  TraceOptions,
  Traced,
  ShutdownOptions,
  AnomalyListener,
} from './api/types.js';
export type { SightlineConfig, ProfileOptions, AnomalyConfig, LogLevel, LogStream } from './config/types.js';
export type { AnomalyEvent } from './anomaly/event.js';
export type {
  SightlineAdapter,
  AdapterContext,
  AdapterParts,
  AdapterStats,
  SignalStats,
  Signal,
  DropReason,
  LogFormat,
  LogSink,
  LogKeys,
  EventSink,
} from './export/types.js';
export { SightlineError, SightlineConfigError, ErrorCodes, type ErrorCode } from './diag/errors.js';
export { DEFAULT_REDACT_KEYS } from './logs/redact.js';
