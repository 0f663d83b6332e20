import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where to resolve an optional peer dependency (the AWS SDK, dd-trace) from: `location`, sightline's
 * own module, unless its directory is not on this machine. webpack writes the path sightline had
 * at build time for `import.meta.url`, so a bundle deployed elsewhere would look for the peers in a
 * build that is not there: it looks beside the entry script, the bundle, as its `import()` does.
 *
 * @example
 * createRequire(peerLocation(import.meta.url)).resolve('dd-trace');
 */
export function peerLocation(location: string): string {
  const path = location.startsWith('file:') ? fileURLToPath(location) : location;
  if (existsSync(dirname(path))) return location;
  return process.argv[1] ?? location;
}
