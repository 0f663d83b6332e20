import type { Attributes } from '@opentelemetry/api';
import type { DiagLevel } from '../diag/diag.js';
import type { IdentitySources, SightlineAdapter } from '../export/types.js';
import type { ExportedSignal } from './otel-exporters.js';
import type { PropagatorName } from './otel-propagators.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Where log lines go instead of stdout (tests, benchmarks, a file). Must not block. */
export interface LogStream {
  write(line: string): unknown;
}

export interface AnomalyConfig {
  /** 'low' | 'medium' | 'high' or a number in 0..1 (higher flags more). */
  sensitivity?: 'low' | 'medium' | 'high' | number | undefined;
  /**
   * Most series watched at once; the least recently seen is forgotten first, unless it reported
   * this cycle: then the new series is not watched (counted as the drop `anomaly_series_limit`).
   */
  maxSeries?: number | undefined;
  /** Watch the HTTP p95 duration, request rate and error rate per route when the framework wrappers are in use. */
  http?: boolean | undefined;
  /** Collection cycles to learn from before the first alert; default the detector's (120). */
  warmup?: number | undefined;
  /**
   * Collection cycles an episode must stay outside its band before it is reported; default 3 for
   * percentiles, 2 otherwise. A drift is reported on its first cycle outside the band, and a busy
   * rate that reports nothing is an outage by its second silent cycle, even when this is higher.
   */
  confirm?: number | undefined;
  /**
   * Export `sightline.anomaly.observed|expected|lower|upper|score` gauges for every watched
   * series (attribute `sightline.metric` names it), to chart the learned band in any backend.
   */
  exportBands?: boolean | undefined;
  /**
   * IANA time zone whose time of day and week the detector's daily and weekly profiles follow
   * ('America/New_York'), so a daylight-saving change does not move them; default the process's.
   */
  timeZone?: string | undefined;
}

/** Options that a per-environment profile may set. */
export interface ProfileOptions {
  resource?: Attributes | undefined;
  exporters?: readonly SightlineAdapter[] | undefined;
  logLevel?: LogLevel | undefined;
  redact?: readonly string[] | undefined;
  sampling?: number | undefined;
  metricInterval?: number | undefined;
  cardinalityLimit?: number | undefined;
  maxAttributeLength?: number | undefined;
  handleSignals?: boolean | undefined;
  diagnostics?: DiagLevel | undefined;
  outbound?: boolean | undefined;
  anomaly?: AnomalyConfig | false | undefined;
  shutdownTimeout?: number | undefined;
}

/** What `init()` accepts. Every option is optional; see the README's configuration reference. */
export interface SightlineConfig extends Omit<ProfileOptions, 'exporters'> {
  service?: string | undefined;
  environment?: string | undefined;
  version?: string | undefined;
  /** A list of adapters, or lists keyed by environment (`default` for the rest). Empty: console. */
  exporters?: readonly SightlineAdapter[] | Record<string, readonly SightlineAdapter[]> | undefined;
  /** Options per environment, applied below code and environment variables. */
  profiles?: Record<string, ProfileOptions> | undefined;
  /** Replaces stdout as the destination of log lines. */
  logStream?: LogStream | undefined;
}

/** The configuration after precedence and validation: complete and frozen. */
export interface ResolvedConfig {
  readonly service: string;
  readonly environment: string;
  readonly version: string | undefined;
  /** The option or variable each of the three came from, for an error about its value to name. */
  readonly identitySources: IdentitySources;
  readonly resource: Readonly<Attributes>;
  readonly exporters: readonly SightlineAdapter[];
  /** The embedded console adapter is on: no adapter configured, or SIGHTLINE_EXPORTERS names it. */
  readonly console: boolean;
  readonly logLevel: LogLevel;
  readonly redact: readonly string[];
  readonly sampling: number;
  /** A caller's sampling decision is kept; false only for OTEL_TRACES_SAMPLER's forms without `parentbased_`. */
  readonly samplingParentBased: boolean;
  /** `sampling` is DD_TRACE_SAMPLE_RATE's, no option or variable ranked above it having set one. */
  readonly samplingIsDdTraceSampleRate: boolean;
  readonly metricInterval: number;
  readonly cardinalityLimit: number;
  readonly maxAttributeLength: number;
  readonly handleSignals: boolean;
  readonly diagnostics: DiagLevel;
  readonly outbound: boolean;
  readonly anomaly:
    | Readonly<
        Required<Omit<AnomalyConfig, 'warmup' | 'confirm' | 'timeZone'>> &
          Pick<AnomalyConfig, 'warmup' | 'confirm' | 'timeZone'>
      >
    | false;
  readonly shutdownTimeout: number;
  readonly logStream: LogStream | undefined;
  /** `OTEL_SDK_DISABLED=true`: no adapter is set up, spans are not recorded, the detector is off. */
  readonly sdkDisabled: boolean;
  /** Signals whose OTEL_<SIGNAL>_EXPORTER is `none`: no adapter is given them. */
  readonly signalsOff: readonly ExportedSignal[];
  /** The headers outgoing calls send and incoming requests are read from: OTEL_PROPAGATORS. */
  readonly propagators: readonly PropagatorName[];
  /** Said at init(): the environment has no configuration while one it was likely meant as has. */
  readonly environmentWarning: string | undefined;
  /** Said at init(): a SIGHTLINE_* variable is set that sightline does not read (a misspelt name). */
  readonly variableWarnings: readonly string[];
}
