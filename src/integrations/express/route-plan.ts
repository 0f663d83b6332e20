import type { LayerLike } from './layer.js';

/**
 * Which layers of an app's routers may lead to a route, so that naming a request's route matches
 * the path against the layers on the way to it only, not against every router of a large app.
 *
 * What leads where is read from the stacks alone (no path), once per route, and kept while the
 * stacks lead where they did: each request checks that every stack the plans were read from still
 * holds the layers that hold no route where they were, with the same handles, and that the layers
 * added since hold routes (pointer compares, no matching), as routes and routers may be added,
 * removed or swapped while the app serves. Routes alone added at the end (an app that adds them
 * as it serves) keep the plans: a plan leads to its own route's layer, which stays where it was.
 * A plan that leads the request to no route, or to it by none of the mounts the request went
 * into (its route moved, or a layer that holds none put in a route's place), is checked against
 * every layer the stacks held when read, and read again if one differs.
 */

export interface RouterLike {
  stack: LayerLike[];
}

export const MAX_DEPTH = 32;

export function isRouter(value: unknown): value is RouterLike {
  return typeof value === 'function' && Array.isArray((value as unknown as RouterLike).stack);
}

/** The app's root router: `app._router` in Express 4 (whose `app.router` getter throws), `app.router` in 5. */
export function rootRouter(app: unknown): RouterLike | undefined {
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

/**
 * The layers of a router that may lead to the route, by index in its stack, each with the plan of
 * the router it goes into: undefined for the route's own layer, and for a router first met too
 * deep to read, which is looked through whole; for a layer that mounts an app, the plans of the
 * apps it may mount.
 */
export interface Plan {
  readonly leads: number[];
  readonly below: (Plan | AppPlans | undefined)[];
}

/**
 * The plans of the apps of the chain a mount may lead to, from `apps[from]` on, false for one that
 * does not hold the route. Express keeps only the last parent of an app mounted in two apps (or the
 * path of its last mount), so the chain read from those may name an app the request never went
 * through: a mount may lead to any app below it in the chain, not to the next one only.
 */
export interface AppPlans {
  readonly from: number;
  readonly plans: (Plan | false | undefined)[];
}

export function isAppPlans(below: Plan | AppPlans | undefined): below is AppPlans {
  return below !== undefined && 'plans' in below;
}

/** The routers reachable from an app chain's root as they were read, and the plans read from them. */
interface Tree {
  /** False once read again: the routes whose last plan it holds let it go. */
  live: boolean;
  readonly apps: readonly unknown[];
  /** `rootRouter(apps[i])`: Express creates an app's router with its first route. */
  readonly roots: readonly (RouterLike | undefined)[];
  routers: readonly RouterLike[];
  stacks: readonly LayerLike[][];
  /** How long each of `stacks` was when last checked: the layers past it are new. */
  lengths: number[];
  /** Every layer of `stacks`, in order, as read. */
  layers: readonly LayerLike[];
  /**
   * The layers of `stacks` that hold no route, in order, with where each was in its stack and the
   * handle it had: a layer kept in its stack may be given another router to go into (a reload
   * setting `layer.handle`). `mountEnds[i]`: where the mounts of `stacks[i]` end.
   */
  mounts: readonly LayerLike[];
  mountEnds: readonly number[];
  mountIndexes: readonly number[];
  handles: readonly unknown[];
  readonly plans: WeakMap<object, Plan>;
}

// By the request's own app (the last of the chain); a few chains each, as an app reached through
// a router is walked from above the entry app too.
const trees = new WeakMap<object, Tree[]>();
const MAX_TREES = 4;

/** Calls `visit` on each router reachable from `router` going into `apps[next]` on, once per `next`. */
function reach(
  apps: readonly unknown[],
  router: RouterLike | undefined,
  next: number,
  depth: number,
  seen: Set<RouterLike>[],
  visit: (router: RouterLike) => void,
): void {
  if (router === undefined || depth > MAX_DEPTH) return;
  let known = seen[next];
  if (known === undefined) {
    known = new Set();
    seen[next] = known;
  }
  if (known.has(router)) return;
  known.add(router);
  visit(router);
  for (const layer of router.stack) {
    if (layer.route) continue;
    const handle = layer.handle;
    if (isRouter(handle)) reach(apps, handle, next, depth + 1, seen, visit);
    else if (typeof handle === 'function')
      for (let at = next; at < apps.length; at++)
        reach(apps, rootRouter(apps[at]), at + 1, depth + 1, seen, visit);
  }
}

function readTree(apps: readonly unknown[]): Tree {
  const routers: RouterLike[] = [];
  const stacks: LayerLike[][] = [];
  const layers: LayerLike[] = [];
  const mounts: LayerLike[] = [];
  const mountEnds: number[] = [];
  const mountIndexes: number[] = [];
  const handles: unknown[] = [];
  const distinct = new Set<RouterLike>();
  reach(apps, rootRouter(apps[0]), 1, 0, [], (router) => {
    if (distinct.has(router)) return;
    distinct.add(router);
    const stack = router.stack;
    for (let j = 0; j < stack.length; j++) {
      const layer = stack[j]!;
      layers.push(layer);
      if (layer.route) continue;
      mounts.push(layer);
      mountIndexes.push(j);
      handles.push(layer.handle);
    }
    mountEnds.push(mounts.length);
    routers.push(router);
    stacks.push(stack);
  });
  return {
    live: true,
    apps,
    roots: apps.map(rootRouter),
    routers,
    stacks,
    lengths: stacks.map((stack) => stack.length),
    layers,
    mounts,
    mountEnds,
    mountIndexes,
    handles,
    plans: new WeakMap(),
  };
}

/**
 * Whether the app chain is as `tree` read it, and its stacks lead where they did: the layers that
 * hold no route where they were, with their handles, and the layers added since holding routes.
 * `root` is `rootRouter(apps[0])`.
 */
function unchanged(tree: Tree, apps: readonly unknown[], root: RouterLike): boolean {
  if (tree.roots[0] !== root) return false;
  for (let i = 1; i < apps.length; i++) if (tree.roots[i] !== rootRouter(apps[i])) return false;
  const { routers, stacks, lengths, mounts, mountEnds, mountIndexes, handles } = tree;
  let m = 0;
  for (let i = 0; i < routers.length; i++) {
    const stack = stacks[i]!;
    if (routers[i]!.stack !== stack) return false;
    for (const end = mountEnds[i]!; m < end; m++) {
      const mount = mounts[m]!;
      if (stack[mountIndexes[m]!] !== mount || mount.handle !== handles[m]) return false;
    }
    const length = stack.length;
    for (let j = lengths[i]!; j < length; j++) if (!stack[j]?.route) return false;
    lengths[i] = length;
  }
  return true;
}

/** Whether every stack of `tree` holds the layers it held when read, in order, and nothing more. */
function sameLayers(tree: Tree): boolean {
  const { routers, stacks, layers } = tree;
  let at = 0;
  for (let i = 0; i < routers.length; i++) {
    const stack = stacks[i]!;
    if (routers[i]!.stack !== stack || at + stack.length > layers.length) return false;
    for (let j = 0; j < stack.length; j++) if (stack[j] !== layers[at + j]) return false;
    at += stack.length;
  }
  return at === layers.length;
}

function sameChain(tree: Tree, apps: readonly unknown[]): boolean {
  const chain = tree.apps;
  if (chain.length !== apps.length) return false;
  for (let i = 0; i < chain.length; i++) if (chain[i] !== apps[i]) return false;
  return true;
}

function retire(tree: Tree): void {
  tree.live = false;
  tree.routers = [];
  tree.stacks = [];
  tree.lengths = [];
  tree.layers = [];
  tree.mounts = [];
  tree.mountEnds = [];
  tree.mountIndexes = [];
  tree.handles = [];
}

/**
 * The tree of `apps`, read again when its stacks lead elsewhere since, or with `exact`, when they
 * hold any other layers than they did.
 */
function currentTree(apps: readonly unknown[], root: RouterLike, exact: boolean): Tree | undefined {
  const own = apps[apps.length - 1];
  if (own === null || (typeof own !== 'object' && typeof own !== 'function')) return undefined;
  let list = trees.get(own);
  let at = -1;
  if (list !== undefined) {
    for (let i = 0; i < list.length; i++) {
      if (sameChain(list[i]!, apps)) {
        at = i;
        break;
      }
    }
    if (at !== -1 && unchanged(list[at]!, apps, root) && (!exact || sameLayers(list[at]!))) return list[at];
  }
  const tree = readTree(apps);
  if (list === undefined) {
    list = [];
    trees.set(own, list);
  }
  if (at !== -1) {
    retire(list[at]!);
    list[at] = tree;
  } else {
    if (list.length >= MAX_TREES) retire(list.shift()!);
    list.push(tree);
  }
  return tree;
}

/** Reads which layers may lead to `target` (see Plan). */
class PlanReader {
  // By the index in `apps` of the next app to go into: a router's plan, or false when it does not
  // hold the route.
  private readonly read: Map<RouterLike, Plan | false>[] = [];

  constructor(
    private readonly apps: readonly unknown[],
    private readonly target: object,
  ) {}

  /**
   * The plan of `router`, false when it does not hold the route, undefined when too deep to tell.
   * Never false for a router that holds it: one met again below itself is taken to.
   */
  plan(router: RouterLike | undefined, next: number, depth: number): Plan | false | undefined {
    if (router === undefined) return false;
    if (depth > MAX_DEPTH) return undefined;
    let read = this.read[next];
    if (read === undefined) {
      read = new Map();
      this.read[next] = read;
    }
    const known = read.get(router);
    if (known !== undefined) return known;
    const plan: Plan = { leads: [], below: [] };
    read.set(router, plan);
    const { apps, target } = this;
    const stack = router.stack;
    for (let i = 0; i < stack.length; i++) {
      const layer = stack[i]!;
      const handle = layer.handle;
      let below: Plan | AppPlans | false | undefined = false;
      if (layer.route) below = layer.route === target ? undefined : false;
      else if (isRouter(handle)) below = this.plan(handle, next, depth + 1);
      else if (next < apps.length && typeof handle === 'function') below = this.mounted(next, depth + 1);
      if (below === false) continue;
      plan.leads.push(i);
      plan.below.push(below);
    }
    if (plan.leads.length === 0) read.set(router, false);
    return plan.leads.length === 0 ? false : plan;
  }

  /** The plans of the apps from `apps[next]` on that a mount may lead to, false when none holds the route. */
  private mounted(next: number, depth: number): AppPlans | false {
    const plans: (Plan | false | undefined)[] = [];
    let leads = false;
    for (let at = next; at < this.apps.length; at++) {
      const plan = this.plan(rootRouter(this.apps[at]), at + 1, depth);
      plans.push(plan);
      if (plan !== false) leads = true;
    }
    return leads && { from: next, plans };
  }
}

// The plan last read for each route, with its tree: most routes are reached under one app chain,
// whose tree is then checked without looking it up.
const lastPlans = new WeakMap<object, { tree: Tree; plan: Plan }>();

function planIn(tree: Tree, apps: readonly unknown[], root: RouterLike, target: object): Plan {
  let plan = tree.plans.get(target);
  if (plan === undefined) {
    // A root that does not hold the route has no layer to try.
    plan = new PlanReader(apps, target).plan(root, 1, 0) || { leads: [], below: [] };
    tree.plans.set(target, plan);
  }
  lastPlans.set(target, { tree, plan });
  return plan;
}

/** The plan of `target` from `root`, the router of `apps[0]`, or undefined when the chain has no app. */
export function routePlan(apps: readonly unknown[], root: RouterLike, target: object): Plan | undefined {
  const last = lastPlans.get(target);
  if (last?.tree.live && sameChain(last.tree, apps) && unchanged(last.tree, apps, root)) return last.plan;
  const tree = currentTree(apps, root, false);
  return tree === undefined ? undefined : planIn(tree, apps, root, target);
}

/**
 * For a request the plan of `target` led to no route, or not by the mounts it went into: its plan
 * read again when the stacks hold other layers than it was read from, else undefined.
 */
export function rereadPlan(apps: readonly unknown[], root: RouterLike, target: object): Plan | undefined {
  const tree = currentTree(apps, root, true);
  // The tree the plan was read from, still as it was, holds it; one read anew does not yet.
  return tree === undefined || tree.plans.has(target) ? undefined : planIn(tree, apps, root, target);
}
