import { compiledPathText, isCompiledMount } from './compiled-path.js';
import { type LayerLike, type Matched, matchLayer } from './layer.js';
import { probedTemplate } from './probe-template.js';

/**
 * Finds the route template (`/orgs/:orgId/users/:id`) of a request Express has routed.
 *
 * Express keeps the template of the final route only (`req.route.path`) and gives the concrete
 * mount paths of the routers in between (`req.baseUrl`), so at the end of the request this walks
 * the app's router stack again, following the layers that match the path, down to the layer of
 * `req.route`. A mount path's template comes from the layer when the router keeps it (router 2.3+
 * reports it as `pattern`), and a path given as a RegExp is named by the RegExp (what it matched
 * may be an id); otherwise it is recovered by probing the layer (see probe-template.ts).
 * Nothing is patched; the walk reads the same public-by-convention fields every Express 4 and 5
 * instrumentation reads (`stack`, `route`, `handle`, `match`).
 */

interface RouterLike {
  stack: LayerLike[];
}

/** The structural shape of the parts of `req` the walk reads. */
export interface RoutedRequest {
  route?: { path?: unknown } | undefined;
  app?: unknown;
  originalUrl?: string;
  url?: string;
}

const MAX_DEPTH = 32;

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

/** `sealed`: the prefix ends with a RegExp, whose closing slash is not a path separator. */
function join(prefix: string, part: string | RegExp, sealed: boolean): string {
  if (part instanceof RegExp) return prefix + String(part);
  if (part === '' || part === '/') return prefix;
  const p = part.startsWith('/') ? part : `/${part}`;
  return prefix.endsWith('/') && !sealed ? prefix.slice(0, -1) + p : prefix + p;
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
  const regexp = layer.regexp instanceof RegExp ? layer.regexp : undefined;
  if (Object.keys(matched.params).length === 0) {
    return regexp === undefined ? matched.path : (compiledPathText(regexp, matched.path) ?? regexp);
  }
  // A RegExp the user wrote for a mount, which Express 4 keeps as it is: never probed.
  if (regexp !== undefined && !layer.route && !isCompiledMount(regexp)) return regexp;
  return probedTemplate(layer, matched, fullPath);
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
