import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

// A service bundled as users bundle theirs (esbuild, platform node, minified), against the BUILT
// package: `sightline` resolves through its exports map (`npm test` builds first).
const root = resolve(import.meta.dirname, '../..');
const out = mkdtempSync(join(tmpdir(), 'sightline-bundle-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const run = promisify(execFile);

async function bundle(format: 'esm' | 'cjs'): Promise<string> {
  const outfile = join(out, `service.${format === 'esm' ? 'mjs' : 'cjs'}`);
  await build({
    entryPoints: [join(import.meta.dirname, 'bundled-service.ts')],
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format,
    minify: true,
    outfile,
    logLevel: 'error',
    // No `paths` from the project's tsconfig, which point `sightline` at the sources.
    tsconfigRaw: '{}',
    // Express's CommonJS modules require Node's builtins, which an ES module bundle must provide.
    banner:
      format === 'esm'
        ? {
            js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
          }
        : {},
  });
  return outfile;
}

describe('a minified esbuild bundle', () => {
  it.each(['esm', 'cjs'] as const)(
    '%s: names routes in mounted apps and routers with their mount paths',
    async (format) => {
      const { stdout } = await run(process.execPath, [await bundle(format)], { timeout: 15_000 });
      expect(JSON.parse(stdout)).toEqual([
        'GET /orgs/:orgId/admin/users/:id',
        'GET /backoffice/users/:id',
        'GET /shop/items/:sku',
        'GET /stores/:storeId/items/:sku',
        'GET /v1/items/:id',
      ]);
    },
  );
});

// webpack is no dependency of the project: these read the built files for what it needs instead.
describe('the built package, for webpack', () => {
  const dist = join(root, 'dist');
  const read = (ext: RegExp) =>
    readdirSync(dist)
      .filter((file) => ext.test(file))
      .map((file) => ({ file, text: readFileSync(join(dist, file), 'utf8') }));

  it('marks each import() of an optional peer (the AWS SDK) for webpack to leave to run time', () => {
    // Unmarked, webpack puts in a stand-in that always fails: api mode could never load the SDK.
    const imports = read(/\.c?js$/).flatMap(({ file, text }) =>
      [...text.matchAll(/\bimport\(((?:\s*\/\*[\s\S]*?\*\/)*)\s*([^\s)]+)/g)]
        .filter(([, , specifier]) => !/^["'`]/.test(specifier ?? ''))
        .map(([, comments]) => ({ file, marked: /webpackIgnore:\s*true/.test(comments ?? '') })),
    );
    expect(imports.map(({ file }) => file).sort()).toEqual(['cloudwatch.cjs', 'cloudwatch.js']);
    expect(imports.filter(({ marked }) => !marked)).toEqual([]);
  });

  it('imports no createRequire by name, whose calls webpack turns into its own require', () => {
    // Such a require cannot load a package named at run time, nor dd-trace from node_modules.
    const named = read(/\.js$/)
      .filter(({ text }) =>
        /import\s*\{[^}]*\bcreateRequire\b[^}]*\}\s*from\s*["'](node:)?module["']/.test(text),
      )
      .map(({ file }) => file);
    expect(named).toEqual([]);
  });
});
