import type { Redactor } from './redact.js';

const PERCENT = 37;
/** `%O`, `%o` and `%j`: pino's formatter writes the argument they take as JSON. */
const AS_JSON = new Set([79, 111, 106]);

/**
 * The arguments of a log call with the objects its message writes out redacted, or undefined when
 * none needed it. pino formats the message before the log formatter runs: an object taken by
 * `%o`, `%O` or `%j`, or an object given as the message itself, would be written as it is.
 * Arguments read as text (`%s`, `%d`) keep their own conversion.
 */
export function redactInterpolated(args: ArrayLike<unknown>, redact: Redactor): unknown[] | undefined {
  const first = args[0];
  // pino's reading of the call: an object (or nothing) first means the message comes second.
  const at = typeof first === 'object' || first === undefined ? 1 : 0;
  const msg = args[at];
  let out: unknown[] | undefined;
  if (typeof msg === 'string') {
    // The placeholders as quick-format-unescaped reads them: each `%x` but `%%` takes an argument.
    let arg = at + 1;
    for (
      let i = msg.indexOf('%');
      i !== -1 && i + 1 < msg.length && arg < args.length;
      i = msg.indexOf('%', i + 2)
    ) {
      const code = msg.charCodeAt(i + 1);
      if (code === PERCENT) continue;
      if (AS_JSON.has(code)) out = redactAt(args, arg, redact, out);
      arg++;
    }
  } else if (msg !== null && typeof msg === 'object') {
    for (let i = at; i < args.length; i++) out = redactAt(args, i, redact, out);
  }
  return out;
}

/** `out` (or a copy of `args`, made once) with the object at `i` redacted, if that changed it. */
function redactAt(
  args: ArrayLike<unknown>,
  i: number,
  redact: Redactor,
  out: unknown[] | undefined,
): unknown[] | undefined {
  const value = args[i];
  if (value === null || typeof value !== 'object') return out;
  // pino writes the object as one JSON value: a field leading back to it is `[Circular]` there.
  const next = redact.whole(value);
  if (next === value) return out;
  const copy = out ?? Array.from(args);
  copy[i] = next;
  return copy;
}
