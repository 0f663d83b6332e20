import type { Attributes } from '@opentelemetry/api';
import type { AnomalyEvent } from '../../src/anomaly/event.js';
import { HTTP_ERROR_RATE } from '../../src/anomaly/engine-series.js';
import { timesExpected } from '../../src/anomaly/explain.js';
import { cutText, outsideWindow, type TimeWindow } from '../../src/export/index.js';
import { attributeTag, identityTags, tag } from './tags.js';

const MAX_TITLE = 100;
const MAX_TEXT = 4000;
const MAX_AGGREGATION_KEY = 100;
/** Severity (0..100) from which an anomaly is an `error` event rather than a `warning`. */
export const ERROR_SEVERITY = 80;

/** What every event of this adapter carries. */
export interface EventDefaults {
  /** Sanitised `key:value` tags (unified service tags and extra tags). */
  readonly tags: readonly string[];
  readonly service: string;
  readonly env: string;
  readonly hostname: string | undefined;
}

function num(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return String(Number(n.toPrecision(4)));
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${cutText(text, max - 3)}...`;
}

/** `GET /users/:id` for HTTP series, then the other attributes as `key=value` pairs in key order. */
function seriesLabel(attributes: Attributes): string {
  const method = attributes['http.request.method'];
  const route = attributes['http.route'];
  const on =
    route === undefined ? [] : [method === undefined ? String(route) : `${String(method)} ${String(route)}`];
  const rest = Object.keys(attributes)
    .filter((k) => route === undefined || (k !== 'http.route' && k !== 'http.request.method'))
    .sort()
    .map((k) => `${k}=${String(attributes[k])}`);
  return [...on, ...rest].join(' ');
}

/** How far and which way the value moved, e.g. `up 3.2x`, `down 40%` or, from about none, `up to 50 %`. */
function movement(event: AnomalyEvent): string {
  const { observed, expected } = event;
  const ratio = timesExpected(observed, expected, event.band.lower, event.band.upper);
  if (ratio >= 0) {
    if (ratio >= 1) return `up ${num(ratio)}x`;
    return `down ${Math.round((1 - ratio) * 100)}%`;
  }
  // A route's error rate in percent, as the explanation gives it: "up to 0.5" could be either.
  const to = event.metric === HTTP_ERROR_RATE ? `${num(observed * 100)} %` : num(observed);
  if (observed > expected) return `up to ${to}`;
  if (observed < expected) return `down to ${to}`;
  return event.kind.replace(/_/g, ' ');
}

/**
 * A title that reads well in a list and a notification, within Datadog's 100 characters.
 *
 * @example
 * eventTitle(e); // 'Anomaly: checkout http.server.request.duration.p95 up 3.2x on GET /users/:id'
 */
export function eventTitle(event: AnomalyEvent, service: string): string {
  const on = seriesLabel(event.attributes);
  return cut(
    `Anomaly: ${service} ${event.metric} ${movement(event)}${on === '' ? '' : ` on ${on}`}`,
    MAX_TITLE,
  );
}

function seriesId(event: AnomalyEvent): string {
  const attrs = Object.keys(event.attributes)
    .sort()
    .map((k) => `${k}=${String(event.attributes[k])}`)
    .join(',');
  return attrs === '' ? event.metric : `${event.metric}{${attrs}}`;
}

/**
 * What Datadog groups a series' events by, org-wide: the series within its service and environment,
 * so the replicas of one deployment share it while another service's route of the same name, or
 * staging's, does not. The host is left out: each replica reports the incident they all see. The
 * service and environment are those its tags name, the adapter's own where it was given them.
 */
function groupId(event: AnomalyEvent, defaults: EventDefaults): string {
  return JSON.stringify([defaults.service, defaults.env, seriesId(event)]);
}

/** 32-bit FNV-1a, as 8 hex digits: a short, stable id for a series. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

function eventText(event: AnomalyEvent, { service, env }: EventDefaults): string {
  const rows: [string, string][] = [
    ['Series', `\`${cut(seriesId(event), 1000).replace(/`/g, "'")}\``],
    ['Observed', num(event.observed)],
    ['Expected', num(event.expected)],
    ['Band', `${num(event.band.lower)} to ${num(event.band.upper)}`],
    ['Score', num(event.score)],
    ['Severity', `${Math.round(event.severity)}/100`],
    ['Kind', event.kind],
    ['Service', `${service} (env ${env})`],
    ['Detected at', new Date(event.time).toISOString()],
  ];
  const table = rows.map(([k, v]) => `| ${k} | ${v.replace(/\|/g, '\\|')} |`).join('\n');
  const body = `${cut(event.explanation, 1000)}\n\n| | |\n|---|---|\n${table}\n\nDetected by sightline.`;
  // Markdown is enabled by the %%% fences, which must survive any cut.
  return `%%% \n${cut(body, MAX_TEXT - 12)}\n %%%`;
}

/**
 * Encodes one anomaly as a `POST /api/v1/events` body: title and text within Datadog's limits,
 * `alert_type` by severity, one `aggregation_key` per series of a service and environment,
 * unified service tags plus `source:sightline`, and `date_happened` in seconds. `onCut` hears of
 * each tag cut to 200 characters (see `tag`).
 */
export function encodeEvent(event: AnomalyEvent, defaults: EventDefaults, onCut?: () => void): string {
  const tags = [
    ...defaults.tags,
    'source:sightline',
    tag('metric', event.metric, onCut),
    tag('anomaly_kind', event.kind, onCut),
  ];
  const identity = identityTags(defaults.tags);
  for (const key of Object.keys(event.attributes)) {
    const v = event.attributes[key];
    if (v === undefined || v === null) continue;
    const t = attributeTag(key, Array.isArray(v) ? v.join(',') : v, identity, onCut);
    if (t !== undefined) tags.push(t);
  }
  const metricPart = event.metric.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, MAX_AGGREGATION_KEY - 20);
  const body: Record<string, unknown> = {
    title: eventTitle(event, defaults.service),
    text: eventText(event, defaults),
    date_happened: Math.floor(event.time / 1000),
    priority: 'normal',
    alert_type: event.severity >= ERROR_SEVERITY ? 'error' : 'warning',
    aggregation_key: `sightline:${metricPart}:${fnv1a(groupId(event, defaults))}`,
    tags,
  };
  if (defaults.hostname) body.host = defaults.hostname;
  return JSON.stringify(body);
}

/** `date_happened` the Events API takes: up to 18 hours past and 2 hours ahead. */
const EVENT_WINDOW: TimeWindow = { pastMs: 18 * 3_600_000, aheadMs: 2 * 3_600_000 };
const DATE_HAPPENED = '"date_happened":';

/**
 * Whether the Events API would refuse a body made by {@link encodeEvent} if sent at `nowMs`: its
 * `date_happened` more than 18 hours old or 2 hours ahead. The key cannot occur earlier, inside
 * the title or text, where JSON escapes its quotes.
 *
 * @example
 * eventExpired('{"title":"t","text":"x","date_happened":1700000000}', 1700064801000); // true
 */
export function eventExpired(body: string, nowMs: number): boolean {
  const at = body.indexOf(DATE_HAPPENED);
  if (at < 0) return false;
  const seconds = Number.parseInt(body.slice(at + DATE_HAPPENED.length, at + DATE_HAPPENED.length + 16), 10);
  return Number.isFinite(seconds) && outsideWindow(seconds * 1000, nowMs, EVENT_WINDOW);
}
