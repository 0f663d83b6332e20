import { COMPILED_TAIL, isCompiledMount, SYNTAX } from './compiled-path.js';
import type { LayerLike } from './layer.js';

/**
 * The path an Express 4 layer was given, read back from the RegExp path-to-regexp 0.1 compiled it
 * to: router 1.x keeps no other trace of a mount's path, and of a route given several paths only
 * the list. Probing the layer with the path a request took names a wildcard (`/files/*`,
 * `/:path*`) or an optional parameter (`/:lang?/docs`) by what that request matched, a series per
 * shape of path, so the parts path-to-regexp writes for them are read back as the text that wrote
 * them. Several paths are joined as alternatives, in order, a RegExp among them as the user wrote
 * it: the first that matches is the one Express took. The pattern syntax path-to-regexp 0.1 leaves
 * as written (`/users?`, `/ab+c`, groups: `/x(yz)?w`, `/v/(on|off)line`, `/e/(\\d+)`) is read back
 * too: probing would name a group by what it took (`/x:0w`, `/xw`), and the rest only by the
 * compiled RegExp.
 * A mount with any other part (a parameter's own pattern holding a group) is left to probing.
 */

// What path-to-regexp 0.1 writes for each part, how many keys it takes and the text read back;
// a parameter's part may be followed by `?`, which makes it optional.
const PARTS: readonly [written: string, keys: number, text: (name: string) => string][] = [
  ['(?:\\/([^/]+?)((?:[/].+?)?))', 2, (name) => `/:${name}*`],
  ['(?:\\/([^/]+?))', 1, (name) => `/:${name}`],
  ['(?:\\.([^/\\.]+?))', 1, (name) => `.:${name}`],
];
// A parameter with a pattern of its own, named without it as its value is by any other.
const OWN_PATTERN: readonly [opening: string, text: (name: string) => string][] = [
  ['(?:\\/(', (name) => `/:${name}`],
  ['(?:\\.(', (name) => `.:${name}`],
  ['(?:(', (name) => `:${name}`],
];
const WILDCARD = '(.*)';
// What path-to-regexp 0.1 writes for a group opened right after a slash (`/(on|off)`), which takes no key.
const SLASH_GROUP = '(?:';
// Pattern syntax path-to-regexp 0.1 leaves in the RegExp as the path wrote it.
const PASSED_THROUGH = '?+';
// A parameter sharing its segment with the text before it (`/:from-:to`): no slash, nor that text.
const AFTER_TEXT = '(?:((?:(?!\\/|';
const AFTER_TEXT_END = ').)+?))';

/** One of a layer's paths: what matches it and its template. */
interface Alternative {
  matches: RegExp | undefined;
  template: string | RegExp;
}

const alternatives = new WeakMap<LayerLike, Alternative[] | null>();

/** The parameter read back at `i`: its text and where its part ends, or undefined. */
function parameterAt(source: string, i: number, name: string): [string, number, number] | undefined {
  for (const [written, keys, text] of PARTS) {
    if (source.startsWith(written, i)) return [text(name), i + written.length, keys];
  }
  if (source.startsWith(AFTER_TEXT, i)) {
    const end = source.indexOf(AFTER_TEXT_END, i + AFTER_TEXT.length);
    return end === -1 ? undefined : [`:${name}`, end + AFTER_TEXT_END.length, 1];
  }
  for (const [opening, text] of OWN_PATTERN) {
    if (!source.startsWith(opening, i)) continue;
    const end = patternEnd(source, i + opening.length);
    return end === undefined || source[end] !== ')' ? undefined : [text(name), end + 1, 1];
  }
  return undefined;
}

/**
 * Where the pattern of a parameter's own (`:id(\\d+)`) that starts at `from` ends, at its closing
 * bracket; undefined for a pattern holding a group, whose groups would be keys of their own.
 */
function patternEnd(source: string, from: number): number | undefined {
  let inClass = false;
  for (let i = from; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') return undefined;
    else if (c === ')') return i + 1;
  }
  return undefined;
}

/** The text path-to-regexp compiled `source` from, with the index of the key after its own. */
function readBack(source: string, keys: unknown[], from: number): [string, number] | undefined {
  let out = '';
  let key = from;
  let i = 0;
  // Groups the user wrote that are open at `i`.
  let depth = 0;
  while (i < source.length) {
    const name = (keys[key] as { name?: unknown } | undefined)?.name;
    const parameter = typeof name === 'string' ? parameterAt(source, i, name) : undefined;
    const c = source[i]!;
    if (parameter !== undefined) {
      const optional = source[parameter[1]] === '?';
      out += optional ? `${parameter[0]}?` : parameter[0];
      i = optional ? parameter[1] + 1 : parameter[1];
      key += parameter[2];
    } else if (source.startsWith(WILDCARD, i)) {
      out += '*';
      i += WILDCARD.length;
      key++;
    } else if (c === '\\') {
      const escaped = source[i + 1];
      if (escaped === undefined) return undefined;
      // A slash or dot path-to-regexp escaped reads as itself; a class the path wrote (`(\\d+)`)
      // stays as written, or probing would name its group by what it took.
      out += /[0-9A-Za-z]/.test(escaped) ? c + escaped : escaped;
      i += 2;
    } else if (c === '(' && source[i + 1] !== '?' && typeof name === 'number') {
      // A group the user wrote, a numbered key of its own.
      out += c;
      i++;
      key++;
      depth++;
    } else if (source.startsWith(SLASH_GROUP, i) && out.endsWith('/')) {
      out += '(';
      i += SLASH_GROUP.length;
      depth++;
    } else if (c === ')' && depth > 0) {
      out += c;
      i++;
      depth--;
    } else if (PASSED_THROUGH.includes(c) || (c === '|' && depth > 0)) {
      out += c;
      i++;
    } else if (SYNTAX.includes(c)) {
      return undefined;
    } else {
      out += c;
      i++;
    }
  }
  return depth === 0 ? [out, key] : undefined;
}

/** `source` split at each `|` outside a group and a class: the paths of a layer given several. */
function topLevel(source: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inClass = false;
  let start = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      parts.push(source.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(source.slice(start));
  return parts;
}

/** A route's paths, each matched by the parts of its RegExp compiled from it. */
function routeAlternatives(given: unknown[], parts: string[], flags: string): Alternative[] | undefined {
  const out: Alternative[] = [];
  let at = 0;
  for (const path of given) {
    if (typeof path !== 'string' && !(path instanceof RegExp)) return undefined;
    const count = typeof path === 'string' ? 1 : topLevel(path.source).length;
    out.push({ matches: new RegExp(parts.slice(at, at + count).join('|'), flags), template: path });
    at += count;
  }
  return at === parts.length ? out : undefined;
}

/**
 * A mount's paths: each compiled from a string read back, and each run of parts of RegExps the user
 * wrote, which Express 4 keeps as they are, named by that RegExp, as a mount given one is.
 */
function mountAlternatives(keys: unknown[], parts: string[], flags: string): Alternative[] | undefined {
  const out: Alternative[] = [];
  let key = 0;
  let written: string[] = [];
  const endWritten = () => {
    if (written.length === 0) return;
    const source = written.join('|');
    out.push({ matches: new RegExp(source, flags), template: new RegExp(source) });
    // Its groups are keys too (numbered ones), as many as the groups an empty match reports.
    key += new RegExp(`${source}|`).exec('')!.length - 1;
    written = [];
  };
  for (const part of parts) {
    if (!isCompiledMount(part)) {
      written.push(part);
      continue;
    }
    endWritten();
    const read = readBack(part.slice(1).replace(COMPILED_TAIL, ''), keys, key);
    if (read === undefined) return undefined;
    out.push({ matches: new RegExp(part, flags), template: read[0] });
    key = read[1];
  }
  endWritten();
  return key === keys.length ? out : undefined;
}

function alternativesOf(layer: LayerLike, regexp: RegExp): Alternative[] | undefined {
  const parts = topLevel(regexp.source);
  const given = layer.route?.path;
  let out: Alternative[] | undefined;
  if (Array.isArray(given)) out = routeAlternatives(given, parts, regexp.flags);
  else if (!layer.route && Array.isArray(layer.keys))
    out = mountAlternatives(layer.keys, parts, regexp.flags);
  if (out?.length !== 1) return out;
  // One path: nothing to tell apart, and a RegExp the user wrote is the layer's own, flags and all.
  const template = out[0]!.template instanceof RegExp && !given ? regexp : out[0]!.template;
  return [{ matches: undefined, template }];
}

/**
 * The path an Express 4 mount compiled from a string, or a route given several paths, was given for
 * `path`, or undefined when it is not read back.
 */
export function compiledTemplate(
  layer: LayerLike,
  regexp: RegExp,
  path: string,
): string | RegExp | undefined {
  let known = alternatives.get(layer);
  if (known === undefined) {
    try {
      known = alternativesOf(layer, regexp) ?? null;
    } catch {
      // A split inside a group of a RegExp among the paths, which compiles to no RegExp of its own.
      known = null;
    }
    alternatives.set(layer, known);
  }
  return known?.find((alternative) => alternative.matches?.test(path) ?? true)?.template;
}
