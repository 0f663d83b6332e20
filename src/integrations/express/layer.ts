/** The structural shape of an Express 4 or 5 layer (router 1.x / 2.x). */
export interface LayerLike {
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

export interface Matched {
  path: string;
  params: Record<string, unknown>;
  pattern: unknown;
  /**
   * The names of `params`, when the router lists them (router 2.x, whose params object has no
   * prototype: enumerating one costs more than the rest of naming a small app's request).
   */
  names?: readonly string[] | undefined;
}

/** The names of the parameters a layer matched. */
export function paramNames(matched: Matched): readonly string[] {
  return matched.names ?? Object.keys(matched.params);
}

/** Calls `layer.match` without leaving state behind (router 1.x stores the match on the shared layer). */
export function matchLayer(layer: LayerLike, path: string): Matched | undefined {
  const savedPath = layer.path;
  const savedParams = layer.params;
  try {
    const result = layer.match(path);
    if (!result) return undefined;
    if (typeof result === 'object') {
      const r = result as Partial<Matched> & { keys?: unknown };
      const names = Array.isArray(r.keys) ? (r.keys as string[]) : undefined;
      return { path: r.path ?? '', params: r.params ?? {}, pattern: r.pattern, names };
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
