import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The README's TypeScript blocks are what users copy first: each is compiled against the BUILT
// declarations (`npm test` builds first), importing the package by name as a user's project does,
// as ESM and CommonJS under node16 and as ESM under bundler.
const root = resolve(import.meta.dirname, '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** Each ```ts block of the README with the line it starts on. */
function snippets(): { line: number; code: string }[] {
  const found: { line: number; code: string }[] = [];
  const lines = readme.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```ts') continue;
    const end = lines.indexOf('```', i + 1);
    found.push({ line: i + 1, code: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return found;
}

// What the text around a block has already set up, or leaves to the reader (a value, a pager):
// globals a block's own declarations and imports shadow, so it is checked with its own if it has them.
const context = `import type { AnomalyEvent, init as Init, Sightline } from 'sightline';
import type { datadog as Datadog } from 'sightline/datadog';
import type { otlp as Otlp } from 'sightline/otlp';
import type { MemoryExporter } from 'sightline/testing';
import type { vi as Vi } from 'vitest';
declare global {
  const init: typeof Init;
  const datadog: typeof Datadog;
  const otlp: typeof Otlp;
  const obs: Sightline;
  const memory: MemoryExporter;
  const vi: typeof Vi;
  const value: number;
  function pageOnCall(event: AnomalyEvent): void;
  function notify(message: string): void;
  const pager: { notify(message: string): void };
}
`;

/** A block as a module: its imports first, the rest in an async function (top-level await in CommonJS). */
function asModule(code: string): string {
  const lines = code.split('\n');
  const imports = lines.filter((l) => l.startsWith('import '));
  const body = lines.filter((l) => !l.startsWith('import '));
  return `${imports.join('\n')}\nexport {};\nexport async function snippet(): Promise<void> {\n${body.join('\n')}\n}\n`;
}

const user: ts.CompilerOptions = {
  strict: true,
  skipLibCheck: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  types: ['node'],
};
const setups: [string, string, ts.CompilerOptions][] = [
  [
    'ESM, node16',
    '.mts',
    { ...user, module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 },
  ],
  [
    'CommonJS, node16',
    '.cts',
    { ...user, module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 },
  ],
  [
    'ESM, bundler',
    '.ts',
    { ...user, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler },
  ],
];

const parsedLibraries = new Map<string, ts.SourceFile>();

describe("the README's TypeScript blocks", () => {
  it('are there to check', () => {
    expect(snippets().length).toBeGreaterThan(10);
  });

  it.each(setups)('compile against the built package (%s)', (_, extension, options) => {
    const dir = join(root, 'test/package');
    const files = new Map([[join(dir, `readme-context${extension}`), context]]);
    for (const { line, code } of snippets())
      files.set(join(dir, `readme-${line}${extension}`), asModule(code));
    const host = ts.createCompilerHost(options);
    const { getSourceFile, fileExists, readFile } = host;
    host.fileExists = (name) => files.has(name) || fileExists(name);
    host.readFile = (name) => files.get(name) ?? readFile(name);
    host.getSourceFile = (name, version, ...rest) => {
      const source = files.get(name);
      if (source !== undefined) return ts.createSourceFile(name, source, version);
      // The libraries' declarations, parsed once for the three setups.
      const key = `${name}\0${JSON.stringify(version)}`;
      let parsed = parsedLibraries.get(key);
      if (parsed === undefined) {
        parsed = getSourceFile.call(host, name, version, ...rest);
        if (parsed !== undefined) parsedLibraries.set(key, parsed);
      }
      return parsed;
    };
    const program = ts.createProgram([...files.keys()], options, host);
    const errors = ts
      .getPreEmitDiagnostics(program)
      .filter(({ file }) => file === undefined || files.has(file.fileName))
      .map(({ file, start, messageText }) => {
        const at = file?.fileName.slice(dir.length + 1).replace(/^readme-(\d+).*/, 'the block at line $1');
        const code = file && start !== undefined ? file.text.slice(start).split('\n')[0]?.trim() : '';
        return `README ${at}, at \`${code}\`: ${ts.flattenDiagnosticMessageText(messageText, ' ')}`;
      });
    expect(errors).toEqual([]);
  });
});
