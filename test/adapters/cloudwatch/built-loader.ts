import { buildSync } from 'esbuild';

/**
 * sightline's SDK loader (`loadSdk`) built as a package runs it, as the text of a module to run in
 * a process of its own: a TypeScript loader hooked into Node's would read the SDK's modules in its
 * own way. With it, `attempt(pkg)`: the type of the loaded package's `PutMetricDataCommand`, or the
 * name and code of the error its load failed with.
 */
export function builtLoader(): string {
  return `${buildSync({
    stdin: {
      contents: "export { loadSdk } from './adapters/cloudwatch/aws-sdk.ts';",
      resolveDir: process.cwd(),
      loader: 'ts',
    },
    bundle: true,
    format: 'esm',
    platform: 'node',
    packages: 'external',
    write: false,
  }).outputFiles[0]!.text.replace(/^export \{[^}]*\};?\s*$/m, '')}
    const attempt = async (pkg) => {
      try {
        return typeof (await loadSdk(pkg)).PutMetricDataCommand;
      } catch (error) {
        return error.name + ' ' + (error.code ?? '');
      }
    };
  `;
}
