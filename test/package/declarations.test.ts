import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The BUILT declarations (`npm test` builds first), compiled as a project with the strictest
// settings compiles them: without skipLibCheck, the errors in a package's .d.ts are its users' errors.
const root = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, string | Record<string, { types: string }>>;
};
const declarations = Object.values(pkg.exports).flatMap((target) =>
  typeof target === 'string' ? [] : Object.values(target).map((condition) => join(root, condition.types)),
);

const strictest: ts.CompilerOptions = {
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noImplicitOverride: true,
  noPropertyAccessFromIndexSignature: true,
  skipLibCheck: false,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  types: ['node'],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
};

describe('the type declarations', () => {
  it('compile without errors under the strictest options', () => {
    const program = ts.createProgram(declarations, strictest);
    const errors = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file?.fileName.startsWith(join(root, 'dist')))
      .map(
        (d) =>
          `${d.file?.fileName.slice(root.length + 1)}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`,
      );
    expect(errors).toEqual([]);
  });

  it('take an option set to undefined, as process.env gives it, under exactOptionalPropertyTypes', () => {
    // The README's Datadog example passes `version: process.env.GIT_SHA`; init() reads undefined as unset.
    const file = join(root, 'test/package/options-from-env.ts');
    const source = `import { init } from 'sightline';
init({ service: 'checkout', version: process.env['GIT_SHA'] });
init({ service: process.env['SERVICE'], environment: process.env['APP_ENV'], logLevel: undefined });
init({ profiles: { production: { sampling: undefined } }, anomaly: { sensitivity: undefined } });
`;
    const host = ts.createCompilerHost(strictest);
    const { getSourceFile, fileExists } = host;
    host.fileExists = (name) => name === file || fileExists(name);
    host.getSourceFile = (name, version, ...rest) =>
      name === file
        ? ts.createSourceFile(name, source, version)
        : getSourceFile.call(host, name, version, ...rest);
    const program = ts.createProgram([file], strictest, host);
    const errors = ts
      .getPreEmitDiagnostics(program, program.getSourceFile(file))
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
    expect(errors).toEqual([]);
  });
});
