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

/** Compiles `source`, importing the package by name, under the strictest options; returns its errors. */
function compileUsage(source: string): string[] {
  const file = join(root, 'test/package/usage.ts');
  const host = ts.createCompilerHost(strictest);
  const { getSourceFile, fileExists } = host;
  host.fileExists = (name) => name === file || fileExists(name);
  host.getSourceFile = (name, version, ...rest) =>
    name === file
      ? ts.createSourceFile(name, source, version)
      : getSourceFile.call(host, name, version, ...rest);
  const program = ts.createProgram([file], strictest, host);
  return ts
    .getPreEmitDiagnostics(program, program.getSourceFile(file))
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
}

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
    const errors = compileUsage(`import { init } from 'sightline';
init({ service: 'checkout', version: process.env['GIT_SHA'] });
init({ service: process.env['SERVICE'], environment: process.env['APP_ENV'], logLevel: undefined });
init({ profiles: { production: { sampling: undefined } }, anomaly: { sensitivity: undefined } });
`);
    expect(errors).toEqual([]);
  });

  it("take undefined in the adapters', wrappers' and detector's options too, where it means unset", () => {
    const errors = compileUsage(`import { createDetector } from 'sightline/anomaly';
import { cloudwatch } from 'sightline/cloudwatch';
import { datadog } from 'sightline/datadog';
import { elastic } from 'sightline/elastic';
import { expressMiddleware } from 'sightline/express';
import { newrelic } from 'sightline/newrelic';
import { otlp } from 'sightline/otlp';
import { getSightline } from 'sightline';
const env = process.env;
datadog({ apiKey: env['DD_API_KEY'], site: env['DD_SITE'], endpoints: { metrics: env['DD_URL'] } });
newrelic({ licenseKey: env['NR_KEY'], endpoints: { logs: env['NR_LOGS'] }, limits: { maxItems: undefined } });
elastic({ node: env['ES_URL'], traces: { url: env['APM_URL'] }, channel: { queueSize: undefined } });
cloudwatch({ region: env['REGION'], endpoints: { traces: env['ADOT_URL'] }, write: undefined });
otlp({ url: env['OTLP_URL'], endpoints: { traces: env['OTLP_TRACES'] }, timeoutMs: undefined });
expressMiddleware({ sightline: getSightline(), accessLog: { sampleRate: undefined } });
createDetector({ sensitivity: undefined, warmup: undefined });
`);
    expect(errors).toEqual([]);
  });
});
