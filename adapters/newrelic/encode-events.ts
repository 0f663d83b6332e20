import type { AnomalyEvent } from '../../src/anomaly/event.js';
import { cutText, type EncodedBody } from '../../src/export/index.js';
import { type AttributeCuts, cutName, estimateAttributes, MAX_VALUE_CHARS, toNrValue } from './attributes.js';

/** A flat Event API object: strings and numbers only. */
export type NrEvent = Record<string, string | number>;

/** Most attributes on one custom event. */
export const MAX_EVENT_ATTRIBUTES = 255;

/** Fields of the event itself, fixed for every anomaly event. */
export interface EventIdentity {
  readonly eventType: string;
  readonly hostname: string;
  readonly version: string | undefined;
}

/**
 * Flattens an anomaly event into a New Relic custom event. The Event API takes only strings and
 * numbers, so booleans and arrays become text; the series' attributes are prefixed `attr.` so they
 * never collide with the event's own fields or New Relic's reserved ones (`accountId`, `appId`).
 * Attributes past the Event API's 255 are left out, names past its length cut (see `cutName`) and
 * values past its 4,096 characters cut, their numbers added to `cuts`.
 *
 * @example
 * toNrEvent(anomaly, { eventType: 'SightlineAnomaly', hostname: 'web-01', version: '1.4.2' });
 * // { eventType: 'SightlineAnomaly', timestamp: 1700000000000, metric: 'orders.placed', ... }
 */
export function toNrEvent(
  event: AnomalyEvent,
  identity: EventIdentity,
  cuts: AttributeCuts = { leftOut: 0, cut: 0 },
): NrEvent {
  const out: NrEvent = { eventType: identity.eventType };
  const onCut = () => {
    cuts.cut++;
  };
  const put = (key: string, value: unknown) => {
    const v = eventValue(value);
    if (v !== undefined) out[key] = withinLength(v, onCut);
  };
  if (Number.isFinite(event.time)) out.timestamp = Math.floor(event.time);
  put('metric', event.metric);
  put('service', event.service);
  put('environment', event.environment);
  put('version', identity.version);
  put('hostname', identity.hostname);
  put('kind', event.kind);
  put('observed', event.observed);
  put('expected', event.expected);
  put('bandLower', event.band?.lower);
  put('bandUpper', event.band?.upper);
  put('score', event.score);
  put('severity', event.severity);
  put('explanation', event.explanation);
  let room = MAX_EVENT_ATTRIBUTES - Object.keys(out).length;
  const attributes = event.attributes ?? {};
  for (const key in attributes) {
    const value = eventValue(attributes[key]);
    if (value === undefined) continue;
    if (room <= 0) {
      cuts.leftOut++;
      continue;
    }
    out[cutName(`attr.${key}`, onCut)] = withinLength(value, onCut);
    room--;
  }
  return out;
}

/** A value as the Event API takes it, which has no booleans; whole, cut by `withinLength` once kept. */
function eventValue(value: unknown): string | number | undefined {
  const v = toNrValue(value, Number.POSITIVE_INFINITY);
  return typeof v === 'boolean' ? String(v) : v;
}

/** A value within the Event API's 4,096 characters; `onCut` hears of a longer one, which is cut. */
function withinLength(value: string | number, onCut: () => void): string | number {
  if (typeof value !== 'string' || value.length <= MAX_VALUE_CHARS) return value;
  onCut();
  return cutText(value, MAX_VALUE_CHARS);
}

/** Rough encoded size of one event. */
export function sizeOfEvent(event: NrEvent): number {
  return estimateAttributes(event);
}

/**
 * Encodes a batch as the Event API's JSON array of flat objects.
 *
 * @example
 * encodeEvents([{ eventType: 'SightlineAnomaly', metric: 'orders.placed' }]);
 */
export function encodeEvents(events: readonly NrEvent[]): EncodedBody {
  return { body: JSON.stringify(events), contentType: 'application/json' };
}
