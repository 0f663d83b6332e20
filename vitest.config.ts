import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// Examples and the demo import the package by name; in tests that name means the sources.
const paths = JSON.parse(readFileSync(new URL('./tsconfig.json', import.meta.url), 'utf8')).compilerOptions
  .paths as Record<string, string[]>;
const alias = Object.entries(paths)
  .sort(([a], [b]) => b.length - a.length)
  .map(([find, [target]]) => ({
    find: new RegExp(`^${find}$`),
    replacement: new URL(target ?? '', import.meta.url).pathname,
  }));

/** Measures the service's latency and throughput under load: it runs alone, after everything else. */
const ALONE = ['test/reliability/backend-faults.test.ts'];

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: ['node_modules/**', ...ALONE] },
      },
      {
        extends: true,
        test: { name: 'alone', include: ALONE, typecheck: { enabled: false }, sequence: { groupOrder: 1 } },
      },
    ],
    // Type tests import the package by name; their tsconfig drops `paths`, so here they are checked
    // against the built declarations (`npm run typecheck` checks them against the sources).
    typecheck: {
      enabled: true,
      include: ['test/types/**/*.test-d.ts'],
      tsconfig: 'test/types/tsconfig.json',
    },
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // Memory assertions (reliability suite) measure the heap after a forced collection.
    execArgv: ['--expose-gc'],
    coverage: {
      provider: 'v8',
      include: ['src/**', 'adapters/**'],
      reporter: ['text-summary'],
    },
  },
});
