// Run from a project that installed the packed tarball: `require` loads every exports-map entry, and
// the ESM copy loaded next to it sees the instance the CJS copy created.
const failures = [];

const pkg = require('sightline/package.json');
const specifiers = Object.keys(pkg.exports)
  .filter((subpath) => subpath !== './package.json')
  .map((subpath) => pkg.name + subpath.slice(1));

for (const specifier of specifiers) {
  try {
    const file = require.resolve(specifier);
    if (!file.includes('/node_modules/sightline/dist/') || !file.endsWith('.cjs')) {
      failures.push(`${specifier} resolved to ${file}, not to the CJS build in node_modules`);
    }
    const names = Object.keys(require(specifier));
    if (names.length === 0) failures.push(`${specifier} exports nothing`);
  } catch (error) {
    failures.push(`require('${specifier}') failed: ${error.stack ?? error}`);
  }
}

async function checkSharedState() {
  const cjs = require('sightline');
  const esm = await import('sightline');
  if (esm.init === cjs.init)
    failures.push('import and require returned the same copy; expected one per format');
  const obs = cjs.init({
    service: 'smoke',
    environment: 'test',
    handleSignals: false,
    logStream: { write() {} },
  });
  if (esm.getSightline() !== obs)
    failures.push('getSightline() from the ESM copy does not see the CJS init()');
  await obs.shutdown();
  if (esm.getSightline() !== undefined)
    failures.push('the ESM copy still sees the instance after shutdown()');
}

checkSharedState()
  .catch((error) => failures.push(`shared state check failed: ${error.stack ?? error}`))
  .then(() => {
    if (failures.length > 0) {
      console.error(failures.join('\n'));
      process.exit(1);
    }
    console.log(`cjs-check: ${specifiers.length} entries required; state shared with the ESM copy`);
  });
