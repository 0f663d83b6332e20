import type { LogFormat } from '../export/types.js';
import { setOwn } from './redact.js';

type Fields = Record<string, unknown>;

/** A pino redact path that may apply under the line's `err` key (`err.token`, `["err"].token`, `*.stack`). */
const ERR_PATH = keyPath('err');

/** A pino redact path that may apply under `key` (`key.token`, `["key"].token`, `*.token`). */
function keyPath(key: string): RegExp {
  const name = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^(?:(?:${name}|\\*)(?:[.[]|$)|\\[\\s*(["'\`])${name}\\1\\s*\\])`);
}

/**
 * The line formatter with the line's error written as the line format asks (Elastic's ECS
 * `error.type`, `error.message`, `error.stack_trace`), from `serializeError`, the serializer the
 * logger writes `err` with, so the fields are the ones that would have been written under `err`. A line whose `err` is no error (a string),
 * or that already has a field the format would write, keeps `err` as it is; so does every line when
 * a redact path starts with `err` or `*`, since pino applies a path by the key it starts with and the
 * format may name the error's fields apart (`stack_trace`).
 *
 * @example
 * withErrorFields(prepare, formats, redactPaths); // formatters.log for the logger
 */
export function withErrorFields(
  next: (obj: Fields) => Fields,
  formats: readonly LogFormat[],
  redactPaths: readonly string[],
  serializeError: (err: unknown) => unknown,
): (obj: Fields) => Fields {
  const errorFields = formats.find((f) => f.messageKey !== undefined)?.errorFields;
  if (errorFields === undefined || reachesError(redactPaths)) return next;
  return (obj) => {
    const out = next(obj);
    const err = out.err;
    if (err === null || typeof err !== 'object') return out;
    const serialized = serializeError(err) as Fields;
    if (typeof serialized?.message !== 'string') return out;
    const fields = errorFields(serialized);
    for (const key in fields) if (Object.hasOwn(out, key)) return out;
    const line: Fields = {};
    for (const key of Object.keys(out)) if (key !== 'err') setOwn(line, key, out[key]);
    for (const key of Object.keys(fields)) setOwn(line, key, fields[key]);
    return line;
  };
}

/** Whether one of these pino redact paths may apply under the line's `err` key. */
export function reachesError(redactPaths: readonly unknown[]): boolean {
  return reaches(redactPaths, ERR_PATH);
}

/** Whether one of these pino redact paths may apply under the line's field `key`. */
export function reachesKey(redactPaths: readonly unknown[], key: string): boolean {
  return reaches(redactPaths, keyPath(key));
}

function reaches(redactPaths: readonly unknown[], path: RegExp): boolean {
  return redactPaths.some((p) => typeof p === 'string' && path.test(p.trim()));
}
