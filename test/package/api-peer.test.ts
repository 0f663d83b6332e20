import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// An app's own `@opentelemetry/api` must be the copy sightline registers its providers with: a
// second copy of another minor version reads the first's registration as incompatible, so the
// app's `trace.getActiveSpan()` and manual spans silently see nothing. Hence a peer dependency,
// as the OpenTelemetry SDK packages declare it, whose range npm checks against the app's.
const root = resolve(import.meta.dirname, '../..');
type Manifest = {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};
const read = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Manifest;
const pkg = read(join(root, 'package.json'));
const API = '@opentelemetry/api';

/** The `<x.y.z` bound of a range such as `>=1.3.0 <1.10.0`, as [major, minor, patch]. */
function upperBound(range: string): number[] | undefined {
  const match = /<\s*(\d+)\.(\d+)\.(\d+)/.exec(range);
  return match ? match.slice(1, 4).map(Number) : undefined;
}

describe('the OpenTelemetry API dependency', () => {
  it("is a peer of the package, not a dependency of its own, so the app's copy is the one used", () => {
    expect(pkg.dependencies?.[API]).toBeUndefined();
    expect(pkg.peerDependencies?.[API]).toBeDefined();
  });

  it('stops where the SDK packages sightline depends on stop', () => {
    const sdkBounds = Object.keys(pkg.dependencies ?? {})
      .filter((name) => name.startsWith('@opentelemetry/'))
      .map((name) => read(join(root, 'node_modules', name, 'package.json')).peerDependencies?.[API])
      .flatMap((range) => {
        const bound = range === undefined ? undefined : upperBound(range);
        return bound ? [bound] : [];
      });
    expect(sdkBounds.length).toBeGreaterThan(0);
    const tightest = sdkBounds.reduce((a, b) => {
      const i = a.findIndex((n, k) => n !== b[k]);
      return i === -1 || (a[i] as number) < (b[i] as number) ? a : b;
    });
    expect(upperBound(pkg.peerDependencies?.[API] ?? '')).toEqual(tightest);
  });
});
