import { type LayerLike, type Matched, matchLayer } from './layer.js';

/**
 * Recovers the template of a layer that keeps only its compiled RegExp (Express 4): each segment
 * of the matched path is swapped for a marker, and the segment is a parameter when a parameter
 * takes the marker's value. One probe is one match of the layer, so probing stops at
 * MAX_PROBED_SEGMENTS: a longer match (a wildcard taking a whole path) gets the layer's fixed
 * template, and so does a match probing cannot account for, rather than the path itself.
 */

const MAX_PROBED_SEGMENTS = 32;
const MARKER = 'sl~route~probe';
const MAX_CACHED = 16;

/** A probed template, with the segments of the path it came from that are not parameters. */
interface Probed {
  template: string | RegExp;
  /** Lower-cased when the layer matches in any case. */
  literals: (string | undefined)[];
}

const templateCache = new WeakMap<LayerLike, Probed[]>();

/** The paths an Express 4 route was given, when it was given several. */
function givenPaths(layer: LayerLike): unknown[] | undefined {
  const given = layer.route?.path;
  return Array.isArray(given) ? given : undefined;
}

/**
 * The template of a layer probing cannot name: the RegExp among its paths that matched, the
 * paths it was given, or its RegExp.
 */
export function fixedTemplate(layer: LayerLike, path: string): string | RegExp {
  const given = givenPaths(layer);
  if (given === undefined) return layer.regexp instanceof RegExp ? layer.regexp : '/*';
  const regexp = given.find((p): p is RegExp => p instanceof RegExp && path.search(p) !== -1);
  return regexp ?? given.map(String).join(',');
}

function probe(layer: LayerLike, matched: Matched, segments: string[], rest: string): string[] | undefined {
  const names = Object.keys(matched.params);
  const out = segments.slice();
  const resolved = new Set<string>();
  // Where the text of each segment no parameter has taken yet starts.
  const untaken = segments.map(() => 0);
  for (let i = 1; i < segments.length; i++) {
    if (segments[i] === '') continue;
    const probe = segments.slice();
    probe[i] = MARKER;
    const result = matchLayer(layer, probe.join('/') + rest);
    if (!result) continue;
    for (const name of names) {
      if (!resolved.has(name) && result.params[name] === MARKER) {
        out[i] = `:${name}`;
        untaken[i] = out[i]!.length;
        resolved.add(name);
        break;
      }
    }
  }
  // Parameters a marker cannot stand for: one sharing a segment with text (`/:from-:to`), or one
  // with a pattern of its own (`/:id(\\d+)`), in the order of the path (the layer's keys; the
  // params put a wildcard's numbered ones first).
  const order = Array.isArray(layer.keys)
    ? layer.keys.map((key) => (key as { name?: unknown })?.name)
    : names;
  const byText = names.filter((name) => !resolved.has(name));
  byText.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  // A value spanning segments (a wildcard's) is in no segment: the template would keep the path
  // itself. Looked for first, so no placement of the others is tried for it.
  const inSomeSegment = (value: unknown) =>
    typeof value !== 'string' || value === '' || out.some((s) => s.includes(encodeURIComponent(value)));
  if (!byText.every((name) => inSomeSegment(matched.params[name]))) return undefined;
  const placed = placeByValue(out, untaken, byText, matched.params, 1);
  if (placed === undefined) return undefined;
  // No parameter of a route given several paths took part: a RegExp among them matched.
  if (placed.every((s, i) => s === segments[i]) && givenPaths(layer)?.some((p) => p instanceof RegExp))
    return undefined;
  return placed;
}

/**
 * `out` with each of `names` in place of its value, found by text: each after the one before it,
 * in a segment of its own first, as its value may be in the text before it too (`1` in
 * `/v1/accounts/1`), then in any segment's text no parameter has taken yet (`untaken`, where it
 * starts); a placement that leaves a later parameter nowhere is given up for the next one
 * (`/v:version/accounts/:id` for `/v1/accounts/1`). Undefined when some value is nowhere.
 */
function placeByValue(
  out: string[],
  untaken: number[],
  names: string[],
  params: Matched['params'],
  from: number,
): string[] | undefined {
  const [name, ...rest] = names;
  if (name === undefined) return out;
  const value = params[name];
  if (typeof value !== 'string' || value === '') return placeByValue(out, untaken, rest, params, from);
  const encoded = encodeURIComponent(value);
  const places: [number, number][] = [];
  for (let i = from; i < out.length; i++) if (out[i] === encoded && untaken[i] === 0) places.push([i, 0]);
  for (let i = from; i < out.length; i++) {
    const at = out[i]!.indexOf(encoded, untaken[i]);
    if (at !== -1 && !(at === 0 && out[i] === encoded)) places.push([i, at]);
  }
  for (const [i, at] of places) {
    const next = out.slice();
    const nextUntaken = untaken.slice();
    next[i] = out[i]!.slice(0, at) + `:${name}` + out[i]!.slice(at + encoded.length);
    nextUntaken[i] = at + name.length + 1;
    const done = placeByValue(next, nextUntaken, rest, params, i);
    if (done !== undefined) return done;
  }
  return undefined;
}

/** Whether the layer matches a path in any case (path-to-regexp 0.1 without `sensitive`, Express's default). */
function foldsCase(layer: LayerLike): boolean {
  return layer.regexp instanceof RegExp && layer.regexp.flags.includes('i');
}

// What may follow a literal segment in the source path-to-regexp 0.1 compiles: a slash, a group,
// the optional trailing slash, the end or the next path of an array.
const AFTER_SEGMENT = new Set([undefined, '/', '(', '?', '$', '|']);

/**
 * The literal segments of `out` as the layer's path writes them. A layer matching in any case takes
 * `/ORGS/1` for `/orgs/:orgId`: kept as the request spells them, each spelling would be a series
 * of its own. The source keeps the segments in order, so each is looked for after the one before.
 */
function writtenCase(layer: LayerLike, out: string[], segments: string[]): string[] {
  const written = (layer.regexp as RegExp).source.replaceAll('\\/', '/');
  const folded = written.toLowerCase();
  let from = 0;
  return out.map((segment, i) => {
    if (segment !== segments[i] || segment === '') return segment;
    const needle = `/${segment.replaceAll('.', '\\.')}`.toLowerCase();
    for (let at = folded.indexOf(needle, from); at !== -1; at = folded.indexOf(needle, at + 1)) {
      const end = at + needle.length;
      if (!AFTER_SEGMENT.has(written[end])) continue;
      from = end;
      return written.slice(at + 1, end).replaceAll('\\.', '.');
    }
    return segment.toLowerCase();
  });
}

/**
 * Whether a template probed from another path holds for `segments`: a layer given several paths
 * (`['/cats/:catId', '/dogs/:dogId']`) matches paths of one length under different templates.
 */
function fits(probed: Probed, segments: string[], fold: boolean): boolean {
  const { literals } = probed;
  if (literals.length !== segments.length) return false;
  for (let i = 0; i < literals.length; i++) {
    const literal = literals[i];
    if (literal === undefined) continue;
    if (literal !== (fold ? segments[i]!.toLowerCase() : segments[i])) return false;
  }
  return true;
}

// The tail path-to-regexp 0.1 gives a path without `strict`: its trailing slash is optional.
const OPTIONAL_TRAILING_SLASH = /\\\/\?(?:\$|\(\?=\\\/\|\$\))$/;

/** The path a layer matched, without a trailing slash the layer takes or leaves alike. */
function withoutOptionalSlash(layer: LayerLike, path: string): string {
  const loose = layer.regexp instanceof RegExp && OPTIONAL_TRAILING_SLASH.test(layer.regexp.source);
  return loose && path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/** The template of the part of `fullPath` that `layer` matched, by probing (see above). */
export function probedTemplate(layer: LayerLike, matched: Matched, fullPath: string): string | RegExp {
  const path = withoutOptionalSlash(layer, matched.path);
  const segments = path.split('/');
  if (segments.length > MAX_PROBED_SEGMENTS) return fixedTemplate(layer, matched.path);
  const fold = foldsCase(layer);
  let cached = templateCache.get(layer);
  const hit = cached?.find((probed) => fits(probed, segments, fold));
  if (hit !== undefined) return hit.template;
  const out = probe(layer, matched, segments, fullPath.slice(path.length));
  const literals = (out ?? segments).map((s, i) =>
    s !== segments[i] ? undefined : fold ? s.toLowerCase() : s,
  );
  const template =
    out === undefined
      ? fixedTemplate(layer, matched.path)
      : (fold ? writtenCase(layer, out, segments) : out).join('/');
  const probed: Probed = { template, literals };
  if (!cached) {
    cached = [];
    templateCache.set(layer, cached);
  }
  if (cached.length < MAX_CACHED) cached.push(probed);
  return probed.template;
}
