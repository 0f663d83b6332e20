import { existsSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where to resolve an optional peer dependency (the AWS SDK, dd-trace) from: `location`, sightline's
 * own module, unless its directory is not on this machine. webpack writes the path sightline had
 * at build time for `import.meta.url`, so a bundle deployed elsewhere would look for the peers in a
 * build that is not there: it looks beside the file it runs from, the bundle, as its `import()`
 * does, and only without one beside the entry script.
 *
 * @example
 * createRequire(peerLocation(import.meta.url)).resolve('dd-trace');
 */
export function peerLocation(location: string): string {
  if (onThisMachine(location)) return location;
  const running = runningFile();
  if (running !== undefined && onThisMachine(running)) return running;
  return process.argv[1] ?? location;
}

function onThisMachine(location: string): boolean {
  return existsSync(dirname(location.startsWith('file:') ? fileURLToPath(location) : location));
}

/**
 * The file this code runs from, off the call stack: the bundle, where the entry script may be
 * another's (Lambda's runtime, /var/runtime/index.mjs, imports the handler's bundle).
 */
function runningFile(): string | undefined {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  try {
    Error.prepareStackTrace = (_error, sites) => sites;
    // A limit of 0 (--stack-trace-limit=0, or the service's own) would record no frame to read.
    if (!(limit >= 1)) Error.stackTraceLimit = 1;
    const sites = new Error().stack as unknown as readonly NodeJS.CallSite[] | undefined;
    const file = sites?.[0]?.getFileName() ?? undefined;
    // Not code run by eval (a bundle's devtool), whose name is no file's.
    return typeof file === 'string' && (file.startsWith('file:') || isAbsolute(file)) ? file : undefined;
  } catch {
    return undefined;
  } finally {
    // With frozen intrinsics (--frozen-intrinsics) neither can be set: none was, and the entry
    // script is asked instead.
    try {
      Error.prepareStackTrace = prepare;
      Error.stackTraceLimit = limit;
    } catch {}
  }
}
