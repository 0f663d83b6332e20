import { requestPath } from '../shared/http-attributes.js';
import { compiledPathText, isCompiledMount, trimSlash } from './compiled-path.js';
import { compiledTemplate } from './compiled-template.js';
import { type LayerLike, type Matched, matchLayer, paramNames } from './layer.js';
import { fixedTemplate, probedTemplate } from './probe-template.js';
import {
  isAppPlans,
  isRouter,
  MAX_DEPTH,
  type Plan,
  type RouterLike,
  rereadPlan,
  rootRouter,
  routePlan,
} from './route-plan.js';

/**
 * Finds the route template (`/orgs/:orgId/users/:id`) of a request Express has routed.
 *
 * Express keeps the template of the final route only (`req.route.path`) and gives the concrete
 * mount paths of the routers in between (`req.baseUrl`), so at the end of the request this walks
 * the app's router stack again, following the layers that match the path (into mounted apps
 * too), down to the layer of `req.route`: only those that may lead to it (see route-plan.ts), so
 * the path is not matched against every router of the app. A mount path's template comes from the
 * layer when the router keeps it (router 2.3+ reports it as `pattern`), and a path given as a
 * RegExp is named by the RegExp (what it matched may be an id); otherwise it is recovered by
 * probing the layer (see probe-template.ts).
 * Nothing is patched; the walk reads the same public-by-convention fields every Express 4 and 5
 * instrumentation reads (`stack`, `route`, `handle`, `match`).
 */

/** The structural shape of the parts of `req` the walk reads. */
export interface RoutedRequest {
  route?: { path?: unknown } | undefined;
  app?: unknown;
  // `| undefined`, as IncomingMessage declares `url`: exactOptionalPropertyTypes tells the two apart.
  originalUrl?: string | undefined;
  url?: string | undefined;
  baseUrl?: string | undefined;
  params?: unknown;
}

/**
 * Where Express dispatched the route, as the request holds it while the route has it: the mount
 * paths it went into (`req.baseUrl`, each trimmed of one trailing slash as Express does) and the
 * route's parameters among `req.params`. A route reached under two mounts that both match the path
 * (a `/:tenant` router a middleware left with `next('router')`, then the same router at the root)
 * is named by the one Express took. Once the request has left the route's router (an error handler
 * above it answered), both are the router's above, and the walk takes the first mount that leads
 * to the route, as Express tries them.
 */
interface Dispatched {
  baseUrl: string;
  params: object;
}

/** Whether `matched` is what `dispatched` holds: every parameter of the route in `req.params`. */
function holdsParams(dispatched: Dispatched, matched: Matched): boolean {
  const names = paramNames(matched);
  for (let i = 0; i < names.length; i++) if (!Object.hasOwn(dispatched.params, names[i]!)) return false;
  return true;
}

/** `sealed`: the prefix ends with a RegExp, whose closing slash is not a path separator. */
function join(prefix: string, part: string | RegExp, sealed: boolean): string {
  if (part instanceof RegExp) return prefix + String(part);
  if (part === '' || part === '/') return prefix;
  // Express 5 writes an optional leading segment in braces (`{/:lang}/docs`), its slash inside.
  const p = part.startsWith('/') || part.startsWith('{/') ? part : `/${part}`;
  return prefix.endsWith('/') && !sealed ? prefix.slice(0, -1) + p : prefix + p;
}

const isPath = (value: unknown): value is string | RegExp =>
  typeof value === 'string' || value instanceof RegExp;

/** The path a layer was given, when the router keeps it (a string or a RegExp), else undefined. */
function givenPath(layer: LayerLike, matched: Matched): string | RegExp | undefined {
  if (isPath(matched.pattern)) return matched.pattern;
  if (isPath(layer.rawPath)) return layer.rawPath;
  const own = layer.route?.path;
  return isPath(own) ? own : undefined;
}

/**
 * The template of the part of `fullPath` that `layer` matched. A RegExp is named by itself: what
 * it matched may well be an id.
 */
function layerTemplate(layer: LayerLike, matched: Matched, fullPath: string): string | RegExp {
  const given = givenPath(layer, matched);
  if (given !== undefined) return given;
  const regexp = layer.regexp instanceof RegExp ? layer.regexp : undefined;
  const plain = paramNames(matched).length === 0;
  if (plain) {
    if (regexp === undefined) return matched.path;
    const text = compiledPathText(regexp, matched.path);
    if (text !== undefined) return text;
  }
  if (regexp !== undefined) {
    const template = compiledTemplate(layer, regexp, fullPath);
    if (template !== undefined) return template;
    // A RegExp the user wrote for a mount, which Express 4 keeps as it is: never probed.
    if (!layer.route && !isCompiledMount(regexp.source)) return regexp;
    if (plain) return fixedTemplate(layer, matched.path);
  }
  return probedTemplate(layer, matched, fullPath);
}

/**
 * The apps from the root down to the request's own: a route in an app mounted with
 * `app.use('/admin', admin)` is found under that app's mount layer in its parent's router.
 */
function appChain(app: unknown): unknown[] {
  const chain = [app];
  while (chain.length <= MAX_DEPTH) {
    // No app at all under the standalone router package or a connect-style stack.
    const parent = (chain[0] as { parent?: unknown } | null | undefined)?.parent;
    if (parent === undefined || parent === null || chain.includes(parent)) break;
    chain.unshift(parent);
  }
  return chain;
}

/**
 * The body of Express's `mounted_app` (4 and 5) as a minifier leaves it: it keeps `req.app` in a
 * variable, then hands the request to the mounted app's `handle(req, res, callback)`, the callback
 * putting that app's `request` back. What tells that function apart once a bundle has renamed it;
 * a middleware that reads `req.app` and hands some requests to another app's `handle(req, res,
 * next)` (a maintenance switch) mounts nothing.
 */
const MOUNTED_APP_BODY =
  /^(?:function\b[^(]*)?\(\s*([\w$]+)\s*,\s*([\w$]+)\s*,\s*[\w$]+\s*\)\s*(?:=>\s*)?\{\s*(?:var|let|const)\s+([\w$]+)\s*=\s*\1\.app\s*[;,]\s*[\w$.]+\.handle\(\s*\1\s*,\s*\2\s*,\s*\(?\s*(?:function\b[^(]*\([^)]*\)|\([^)]*\)\s*=>|[\w$]+\s*=>)\s*\{[^}]*?\b\3\.request\b/;

// Read once per handle: the walk runs at the end of every request.
const mountHandles = new WeakMap<object, boolean>();

/** Whether `handle` has the body of the function `app.use(path, subApp)` puts in the parent's router. */
function hasMountBody(handle: unknown): boolean {
  if (typeof handle !== 'function') return false;
  let known = mountHandles.get(handle);
  if (known === undefined) {
    try {
      known = MOUNTED_APP_BODY.test(Function.prototype.toString.call(handle));
    } catch {
      known = false;
    }
    mountHandles.set(handle, known);
  }
  return known;
}

/**
 * Whether a layer with template `part` mounts `app`. Express keeps the app only in the closure of
 * the handle `app.use(path, subApp)` puts in the parent's router, `mounted_app` (Express 4 and 5;
 * told by its body in a minified bundle, which renames it), so the app's own `mountpath` tells the
 * mounts of apps apart. That is the last path the app was mounted at: with `anyMount`, any app's
 * mount may be this one's (an app mounted at two paths), which the walk tries only once the app's
 * own mount path found no route, as another app mounted before it (`/:tenant`) may take the same
 * path. A handle not told for a mount is still taken for it when its template is the app's mount
 * path: descending from a middleware on that same path finds the same routes.
 */
function isMountOf(part: string | RegExp, app: unknown, handle: unknown, anyMount: boolean): boolean {
  // The app itself as the handle: a router mounted it as it would any middleware (router.use(subApp)).
  // An app no app.use mounted has no parent, and no mounted_app of its own.
  if (handle === app) return true;
  if ((app as { parent?: unknown }).parent === undefined) return false;
  const named = (handle as { name?: unknown }).name === 'mounted_app';
  const mount = named || hasMountBody(handle);
  if (mount && anyMount) return true;
  const mountpath = (app as { mountpath?: unknown }).mountpath;
  // A list of paths (app.use(['/shop', '/stores/:storeId'], catalog)) is the app's too: any mount
  // before it (`/:tenant`) is left to the walk that takes any.
  if (Array.isArray(mountpath)) return mountpath.some((path) => samePath(part, path));
  return samePath(part, mountpath);
}

/** Express 4 names a RegExp among a mount's paths by its source alone, without its flags. */
function samePath(part: string | RegExp, path: unknown): boolean {
  if (typeof part === 'string') return typeof path === 'string' && trimSlash(part) === trimSlash(path);
  return path instanceof RegExp && (part === path || part.source === path.source);
}

/** `apps[next]` on: the mounted apps still to go through, down to the one the route belongs to. */
function search(
  router: RouterLike,
  apps: readonly unknown[],
  next: number,
  path: string,
  prefix: string,
  sealed: boolean,
  target: object,
  depth: number,
  anyMount: boolean,
  plan: Plan | undefined,
  dispatched: Dispatched | undefined,
  at: number,
): string | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const stack = router.stack;
  const leads = plan?.leads;
  const count = leads === undefined ? stack.length : leads.length;
  for (let i = 0; i < count; i++) {
    // A plan read from a stack since changed may lead past its end.
    const layer = stack[leads === undefined ? i : leads[i]!];
    if (layer === undefined) continue;
    if (layer.route) {
      if (layer.route !== target) continue;
      const matched = matchLayer(layer, path);
      if (!matched) continue;
      if (dispatched !== undefined && (at !== dispatched.baseUrl.length || !holdsParams(dispatched, matched)))
        continue;
      return join(prefix, layerTemplate(layer, matched, path), sealed);
    }
    const handle = layer.handle;
    const router = isRouter(handle);
    if (!router && (next >= apps.length || typeof handle !== 'function')) continue;
    const matched = matchLayer(layer, path);
    if (!matched) continue;
    const taken = trimSlash(matched.path);
    if (dispatched !== undefined && !dispatched.baseUrl.startsWith(taken, at)) continue;
    const part = layerTemplate(layer, matched, path);
    let rest = path.slice(matched.path.length);
    if (!rest.startsWith('/')) rest = `/${rest}`;
    const below = plan?.below[i];
    // A router is gone into as it is; the app a mount holds may be any of the chain's below it, as
    // Express keeps the last parent of an app mounted in two apps only.
    for (let k = router ? -1 : next; k < (router ? 0 : apps.length); k++) {
      let inner: RouterLike | undefined;
      let innerPlan: Plan | undefined;
      if (k === -1) {
        inner = handle as RouterLike;
        innerPlan = isAppPlans(below) ? undefined : below;
      } else {
        const appPlan = isAppPlans(below) ? below.plans[k - below.from] : undefined;
        if (appPlan === false || !isMountOf(part, apps[k], handle, anyMount)) continue;
        inner = rootRouter(apps[k]);
        if (inner === undefined) continue;
        innerPlan = appPlan;
      }
      const found = search(
        inner,
        apps,
        k === -1 ? next : k + 1,
        rest,
        join(prefix, part, sealed),
        part instanceof RegExp || ((part === '' || part === '/') && sealed),
        target,
        depth + 1,
        anyMount,
        innerPlan,
        dispatched,
        at + taken.length,
      );
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * The path Express routed the request by after a middleware rewrote `req.url` (a base path
 * stripped, express-urlrewrite): the mount paths it has gone into (`req.baseUrl`, restored as
 * it leaves a router) and what is left of the URL below them.
 */
function rewrittenPath(req: RoutedRequest): string | undefined {
  const { baseUrl, url } = req;
  if (typeof url !== 'string') return undefined;
  return (typeof baseUrl === 'string' ? baseUrl : '') + requestPath(url);
}

/** The template of `route` found walking down `apps`, from the first one's router, else undefined. */
function walk(req: RoutedRequest, route: object, apps: readonly unknown[], path: string): string | undefined {
  const router = rootRouter(apps[0]);
  if (router === undefined) return undefined;
  const { baseUrl, params } = req;
  const dispatched =
    typeof baseUrl === 'string' && typeof params === 'object' && params !== null
      ? { baseUrl, params }
      : undefined;
  // Undefined (no app to key the plans by): every layer is tried.
  let plan = routePlan(apps, router, route);
  // Whether `plan` was read from the stacks as they are, once checked against every layer.
  let current = plan === undefined;
  // By the mounts Express took, then by the first mount that leads to the route. The first miss
  // reads the plan again when the stacks hold other layers than it was read from: a layer that
  // holds no route put in a route's place is not seen by the check of each request, and a plan
  // that misses the mount Express took through it may still lead to the route by another, which
  // the search by the first mount would take.
  for (let by = dispatched; ; by = undefined) {
    for (;;) {
      const found = find(req, router, apps, path, route, plan, by);
      if (found !== undefined) return found === '' ? '/' : found;
      if (current) break;
      current = true;
      const again = rereadPlan(apps, router, route);
      if (again === undefined) break;
      plan = again;
    }
    if (by === undefined) return undefined;
  }
}

/** By the path requested, else by the one a middleware rewrote it to. */
function find(
  req: RoutedRequest,
  router: RouterLike,
  apps: readonly unknown[],
  path: string,
  route: object,
  plan: Plan | undefined,
  dispatched: Dispatched | undefined,
): string | undefined {
  let by: string | undefined = path;
  for (let tries = 0; by !== undefined && tries < 2; tries++) {
    const found =
      search(router, apps, 1, by, '', false, route, 0, false, plan, dispatched, 0) ??
      // Without a mounted app in the chain, the mount paths of apps play no part.
      (apps.length > 1
        ? search(router, apps, 1, by, '', false, route, 0, true, plan, dispatched, 0)
        : undefined);
    if (found !== undefined) return found;
    const rewritten = rewrittenPath(req);
    by = rewritten !== path ? rewritten : undefined;
  }
  return undefined;
}

/**
 * The route template of a routed request, or undefined when no route matched (404, or a
 * middleware such as a static file server answered). `entryApp` is the app the middleware ran
 * in as the request came. When the walk cannot find the route by the path requested nor by the
 * one a middleware rewrote it to, the final route's own template is used: never the concrete URL.
 */
export function resolveRouteTemplate(
  req: RoutedRequest,
  path: string,
  entryApp?: unknown,
): string | undefined {
  const route = req.route;
  if (!route || typeof route !== 'object') return undefined;
  const apps = appChain(req.app);
  // The request's app was reached from the entry app without being mounted by app.use (a router
  // mounted it), so the walk starts at the root above the entry app and goes down to the request's
  // app as the handle of a layer. Under the same root, the request left the entry app for another;
  // and when the walk finds nothing, it may have left it for one beside an entry app no app.use
  // mounted, whose chain is not the root's.
  if (entryApp !== undefined && entryApp !== null && !apps.includes(entryApp)) {
    const entryChain = appChain(entryApp);
    if (entryChain[0] !== apps[0]) {
      const found = walk(req, route, [...entryChain, ...apps], path);
      if (found !== undefined) return found;
    }
  }
  const found = walk(req, route, apps, path);
  if (found !== undefined) return found;
  const own = route.path;
  if (typeof own === 'string') return own;
  if (own instanceof RegExp) return String(own);
  return undefined;
}
