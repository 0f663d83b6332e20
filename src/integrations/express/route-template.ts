import { compiledPathText } from './compiled-path.js';

/**
 * Finds the route template (`/orgs/:orgId/users/:id`) of a request Express has routed.
 *
 * Express keeps the template of the final route only (`req.route.path`) and gives the concrete
 * mount paths of the routers in between (`req.baseUrl`), so at the end of the request this walks
 * the app's router stack again, following the layers that match the path, down to the layer of
 * `req.route`. A mount path's template comes from the layer when the router keeps it (router 2.3+
 * reports it as `pattern`), and a path given as a RegExp is named by the RegExp (what it matched
 * may be an id); otherwise it is recovered by probing: each segment of the matched path is
 * swapped for a marker, and the segment is a parameter when a parameter takes the marker's value.
 * Nothing is patched; the walk reads the same public-by-convention fields every Express 4 and 5
 * instrumentation reads (`stack`, `route`, `handle`, `match`), and the result is cached per layer.
 */

/** The structural shape of an Express 4 or 5 layer (router 1.x / 2.x). */
interface LayerLike {
  handle?: unknown;
  route?: { path?: unknown } | undefined;
  match(path: string): unknown;
  path?: string | undefined;
  params?: Record<string, unknown> | undefined;
  keys?: unknown[];
  rawPath?: unknown;
  /** Express 4: the compiled path, or the RegExp the user passed. */
  regexp?: unknown;
}

interface RouterLike {
  stack: LayerLike[];
}

interface Matched {
  path: string;
  params: Record<string, unknown>;
  pattern: unknown;
}

/** The structural shape of the parts of `req` the walk reads. */
export interface RoutedRequest {
  route?: { path?: unknown } | undefined;
  app?: unknown;
  originalUrl?: string;
  url?: string;
}

const MAX_DEPTH = 32;
const MARKER = 'sl~route~probe';
const templateCache = new WeakMap<LayerLike, Map<number, string>>();

function isRouter(value: unknown): value is RouterLike {
  return typeof value === 'function' && Array.isArray((value as unknown as RouterLike).stack);
}

/** The app's root router: `app._router` in Express 4 (whose `app.router` getter throws), `app.router` in 5. */
function rootRouter(app: unknown): RouterLike | undefined {
  if (app === null || (typeof app !== 'function' && typeof app !== 'object')) return undefined;
  const legacy = (app as { _router?: unknown })._router;
  if (legacy && Array.isArray((legacy as RouterLike).stack)) return legacy as RouterLike;
  try {
    const router = (app as { router?: unknown }).router;
    if (router && Array.isArray((router as RouterLike).stack)) return router as RouterLike;
  } catch {
    // Express 4 throws on `app.router` when no route was ever added.
  }
  return undefined;
}

/** Calls `layer.match` without leaving state behind (router 1.x stores the match on the shared layer). */
function matchLayer(layer: LayerLike, path: string): Matched | undefined {
  const savedPath = layer.path;
  const savedParams = layer.params;
  try {
    const result = layer.match(path);
    if (!result) return undefined;
    if (typeof result === 'object') {
      const r = result as Partial<Matched>;
      return { path: r.path ?? '', params: r.params ?? {}, pattern: r.pattern };
    }
    return { path: layer.path ?? '', params: layer.params ?? {}, pattern: undefined };
  } catch {
    return undefined;
  } finally {
    if (!Object.isFrozen(layer)) {
      layer.path = savedPath;
      layer.params = savedParams;
    }
  }
}

/** `sealed`: the prefix ends with a RegExp, whose closing slash is not a path separator. */
function join(prefix: string, part: string | RegExp, sealed: boolean): string {
  if (part instanceof RegExp) return prefix + String(part);
  if (part === '' || part === '/') return prefix;
  const p = part.startsWith('/') ? part : `/${part}`;
  return prefix.endsWith('/') && !sealed ? prefix.slice(0, -1) + p : prefix + p;
}

function paramNames(matched: Matched): string[] {
  return Object.keys(matched.params);
}

/** The path a layer was given, when the router keeps it (a string or a RegExp), else undefined. */
function givenPath(layer: LayerLike, matched: Matched): string | RegExp | undefined {
  for (const path of [matched.pattern, layer.rawPath, layer.route?.path]) {
    if (typeof path === 'string' || path instanceof RegExp) return path;
  }
  return undefined;
}

/**
 * The template of the part of `fullPath` that `layer` matched. A RegExp is named by itself: what
 * it matched may well be an id.
 */
function layerTemplate(layer: LayerLike, matched: Matched, fullPath: string): string | RegExp {
  const given = givenPath(layer, matched);
  if (given !== undefined) return given;
  const names = paramNames(matched);
  if (names.length === 0) {
    if (!(layer.regexp instanceof RegExp)) return matched.path;
    return compiledPathText(layer.regexp, matched.path) ?? layer.regexp;
  }
  const segments = matched.path.split('/');
  let cached = templateCache.get(layer);
  const hit = cached?.get(segments.length);
  if (hit !== undefined) return hit;
  const template = probeTemplate(layer, matched, segments, fullPath.slice(matched.path.length), names);
  if (!cached) {
    cached = new Map();
    templateCache.set(layer, cached);
  }
  if (cached.size < 16) cached.set(segments.length, template);
  return template;
}

function probeTemplate(
  layer: LayerLike,
  matched: Matched,
  segments: string[],
  rest: string,
  names: string[],
): string {
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
  }
  return out.join('/');
}

function search(
  router: RouterLike,
  path: string,
  prefix: string,
  sealed: boolean,
  target: object,
  depth: number,
): string | undefined {
  if (depth > MAX_DEPTH) return undefined;
  for (const layer of router.stack) {
    if (layer.route) {
      if (layer.route !== target) continue;
      const matched = matchLayer(layer, path);
      if (matched) return join(prefix, layerTemplate(layer, matched, path), sealed);
      continue;
    }
    if (!isRouter(layer.handle)) continue;
    const matched = matchLayer(layer, path);
    if (!matched) continue;
    let rest = path.slice(matched.path.length);
    if (!rest.startsWith('/')) rest = `/${rest}`;
    const part = layerTemplate(layer, matched, path);
    const found = search(
      layer.handle,
      rest,
      join(prefix, part, sealed),
      part instanceof RegExp || ((part === '' || part === '/') && sealed),
      target,
      depth + 1,
    );
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * The route template of a routed request, or undefined when no route matched (404, or a
 * middleware such as a static file server answered). When the walk cannot find the route (a
 * sub-app mounted with `app.use('/v2', subApp)`, or a path rewritten by a middleware), the
 * final route's own template is used: never the concrete URL.
 */
export function resolveRouteTemplate(req: RoutedRequest, path: string): string | undefined {
  const route = req.route;
  if (!route || typeof route !== 'object') return undefined;
  const router = rootRouter(req.app);
  if (router) {
    const found = search(router, path, '', false, route, 0);
    if (found !== undefined) return found === '' ? '/' : found;
  }
  const own = route.path;
  if (typeof own === 'string') return own;
  if (own instanceof RegExp) return String(own);
  return undefined;
}
