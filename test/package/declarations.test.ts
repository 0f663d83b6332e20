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
};

describe('the type declarations', () => {
  it('compile without errors under the strictest options', () => {
    const program = ts.createProgram(declarations, {
      ...strictest,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
    });
    const errors = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file?.fileName.startsWith(join(root, 'dist')))
      .map(
        (d) =>
          `${d.file?.fileName.slice(root.length + 1)}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`,
      );
    expect(errors).toEqual([]);
  });
});
