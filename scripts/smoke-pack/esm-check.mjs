// Run from a project that installed the packed tarball: `import` loads every exports-map entry, and
// the CJS copy loaded next to it sees the instance the ESM copy created.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const failures = [];

const pkg = JSON.parse(readFileSync(require.resolve('sightline/package.json'), 'utf8'));
const specifiers = Object.keys(pkg.exports)
  .filter((subpath) => subpath !== './package.json')
  .map((subpath) => pkg.name + subpath.slice(1));

for (const specifier of specifiers) {
  try {
    const url = import.meta.resolve(specifier);
    if (!url.includes('/node_modules/sightline/dist/') || !url.endsWith('.js')) {
      failures.push(`${specifier} resolved to ${url}, not to the ESM build in node_modules`);
    }
    const names = Object.keys(await import(specifier)).filter((name) => name !== 'default');
    if (names.length === 0) failures.push(`${specifier} exports nothing`);
  } catch (error) {
    failures.push(`import('${specifier}') failed: ${error.stack ?? error}`);
  }
}

try {
  const esm = await import('sightline');
  const cjs = require('sightline');
  if (esm.init === cjs.init)
    failures.push('import and require returned the same copy; expected one per format');
  const obs = esm.init({
    service: 'smoke',
    environment: 'test',
    handleSignals: false,
    logStream: { write() {} },
  });
  if (cjs.getSightline() !== obs)
    failures.push('getSightline() from the CJS copy does not see the ESM init()');
  await obs.shutdown();
  if (cjs.getSightline() !== undefined)
    failures.push('the CJS copy still sees the instance after shutdown()');
} catch (error) {
  failures.push(`shared state check failed: ${error.stack ?? error}`);
}

if (failures.length > 0) {
  console.error(failures.join('\n'));
  process.exit(1);
}
console.log(`esm-check: ${specifiers.length} entries imported; state shared with the CJS copy`);
