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
const templateCache = new WeakMap<LayerLike, Map<number, string | RegExp>>();

/** The template of a layer probing cannot name: the paths it was given, or its RegExp. */
function fixedTemplate(layer: LayerLike): string | RegExp {
  const given = layer.route?.path;
  if (Array.isArray(given)) return given.map(String).join(',');
  return layer.regexp instanceof RegExp ? layer.regexp : '/*';
}

function probe(layer: LayerLike, matched: Matched, segments: string[], rest: string): string | undefined {
  const names = Object.keys(matched.params);
  const out = segments.slice();
  const resolved = new Set<string>();
  for (let i = 1; i < segments.length; i++) {
    if (segments[i] === '') continue;
    const probe = segments.slice();
    probe[i] = MARKER;
    const result = matchLayer(layer, probe.join('/') + rest);
    if (!result) continue;
    for (const name of names) {
      if (!resolved.has(name) && result.params[name] === MARKER) {
        out[i] = `:${name}`;
        resolved.add(name);
        break;
      }
    }
  }
  // Parameters sharing a segment with text (`/:from-:to`) are not found by swapping a whole segment.
  for (const name of names) {
    if (resolved.has(name)) continue;
    const value = matched.params[name];
    if (typeof value !== 'string' || value === '') {
      continue;
    }
    const encoded = encodeURIComponent(value);
    for (let i = 1; i < out.length; i++) {
      const segment = out[i]!;
      if (segment.startsWith(':')) continue;
      const at = segment.indexOf(encoded);
      if (at !== -1) {
        out[i] = segment.slice(0, at) + `:${name}` + segment.slice(at + encoded.length);
        resolved.add(name);
        break;
      }
    }
    // A value spanning segments (a wildcard's): the template would keep the path itself.
    if (!resolved.has(name)) return undefined;
  }
  return out.join('/');
}

/** The template of the part of `fullPath` that `layer` matched, by probing (see above). */
export function probedTemplate(layer: LayerLike, matched: Matched, fullPath: string): string | RegExp {
  const segments = matched.path.split('/');
  if (segments.length > MAX_PROBED_SEGMENTS) return fixedTemplate(layer);
  let cached = templateCache.get(layer);
  const hit = cached?.get(segments.length);
  if (hit !== undefined) return hit;
  const template =
    probe(layer, matched, segments, fullPath.slice(matched.path.length)) ?? fixedTemplate(layer);
  if (!cached) {
    cached = new Map();
    templateCache.set(layer, cached);
  }
  if (cached.size < 16) cached.set(segments.length, template);
  return template;
}
