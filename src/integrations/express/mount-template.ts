import { COMPILED_TAIL, SYNTAX } from './compiled-path.js';
import type { LayerLike } from './layer.js';

/**
 * The path an Express 4 mount was given, read back from the RegExp path-to-regexp 0.1 compiled it
 * to: router 1.x keeps no other trace of it. Probing the layer with the path a request took names
 * a wildcard (`/files/*`, `/:path*`) or an optional parameter (`/:lang?/docs`) by what that request
 * matched, a series per shape of path, so the parts path-to-regexp writes for them are read back
 * as the text that wrote them. A mount with any other part (a parameter's own pattern, several
 * paths) is left to probing.
 */

// What path-to-regexp 0.1 writes for each part, how many keys it takes and the text read back;
// a parameter's part may be followed by `?`, which makes it optional.
const PARTS: readonly [written: string, keys: number, text: (name: string) => string][] = [
  ['(?:\\/([^/]+?)((?:[/].+?)?))', 2, (name) => `/:${name}*`],
  ['(?:\\/([^/]+?))', 1, (name) => `/:${name}`],
  ['(?:\\.([^/\\.]+?))', 1, (name) => `.:${name}`],
];
const WILDCARD = '(.*)';
// A parameter sharing its segment with the text before it (`/:from-:to`): no slash, nor that text.
const AFTER_TEXT = '(?:((?:(?!\\/|';
const AFTER_TEXT_END = ').)+?))';

const templates = new WeakMap<LayerLike, string | null>();

/** The parameter read back at `i`: its text and where its part ends, or undefined. */
function parameterAt(source: string, i: number, name: string): [string, number, number] | undefined {
  for (const [written, keys, text] of PARTS) {
    if (source.startsWith(written, i)) return [text(name), i + written.length, keys];
  }
  if (!source.startsWith(AFTER_TEXT, i)) return undefined;
  const end = source.indexOf(AFTER_TEXT_END, i + AFTER_TEXT.length);
  return end === -1 ? undefined : [`:${name}`, end + AFTER_TEXT_END.length, 1];
}

function readBack(source: string, keys: unknown[]): string | undefined {
  let out = '';
  let key = 0;
  let i = 0;
  while (i < source.length) {
    const name = (keys[key] as { name?: unknown } | undefined)?.name;
    const parameter = typeof name === 'string' ? parameterAt(source, i, name) : undefined;
    if (parameter !== undefined) {
      const optional = source[parameter[1]] === '?';
      out += optional ? `${parameter[0]}?` : parameter[0];
      i = optional ? parameter[1] + 1 : parameter[1];
      key += parameter[2];
    } else if (source.startsWith(WILDCARD, i)) {
      out += '*';
      i += WILDCARD.length;
      key++;
    } else if (source[i] === '\\') {
      const escaped = source[i + 1];
      if (escaped === undefined || /[0-9A-Za-z]/.test(escaped)) return undefined;
      out += escaped;
      i += 2;
    } else if (SYNTAX.includes(source[i]!)) {
      return undefined;
    } else {
      out += source[i];
      i++;
    }
  }
  return key === keys.length ? out : undefined;
}

/** The path an Express 4 mount compiled from a string was given, or undefined when it is not read back. */
export function mountTemplate(layer: LayerLike, regexp: RegExp): string | undefined {
  const known = templates.get(layer);
  if (known !== undefined) return known ?? undefined;
  const template = Array.isArray(layer.keys)
    ? readBack(regexp.source.slice(1).replace(COMPILED_TAIL, ''), layer.keys)
    : undefined;
  templates.set(layer, template ?? null);
  return template;
}
