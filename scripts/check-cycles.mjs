// Fails on any circular import in src/ and adapters/ (type-only imports included: a type cycle is
// a module-boundary smell too). Also fails when an import cannot be resolved, because madge leaves
// such files out of the graph and a cycle through them would go unseen.
import madge from 'madge';

const roots = ['src', 'adapters'];
const result = await madge(roots, { fileExtensions: ['ts'], tsConfig: 'tsconfig.json' });
const files = Object.keys(result.obj()).length;
const cycles = result.circular();
const { skipped } = result.warnings();

for (const cycle of cycles) console.error(`cycle: ${[...cycle, cycle[0]].join(' -> ')}`);
for (const file of skipped) console.error(`unresolved import, left out of the graph: ${file}`);
if (files === 0) console.error(`no files found under ${roots.join(', ')}`);
if (cycles.length > 0 || skipped.length > 0 || files === 0) process.exit(1);
console.log(`check-cycles: ${files} files, no circular imports`);
