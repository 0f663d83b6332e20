import { readFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { dirname } from 'node:path';
import vm from 'node:vm';

/**
 * A module sandbox as Jest makes one for each test file: a global object of its own, where every
 * module but Node's built-ins is loaded afresh, in one process with the other sandboxes.
 * `from` is the file the returned `require` resolves from.
 */
export function moduleSandbox(from: string): (specifier: string) => unknown {
  const sandbox = vm.createContext({
    ...{ process, console, Buffer, URL, URLSearchParams, TextEncoder, TextDecoder, performance, fetch },
    ...{ AbortController, AbortSignal, EventTarget, Event, structuredClone, queueMicrotask },
    ...{ setTimeout, clearTimeout, setInterval, clearInterval, setImmediate, clearImmediate },
  });
  vm.runInContext('globalThis.global = globalThis', sandbox);
  const modules = new Map<string, { exports: unknown }>();
  const requireFrom =
    (parent: string) =>
    (specifier: string): unknown => {
      if (isBuiltin(specifier)) return createRequire(parent)(specifier);
      const file = createRequire(parent).resolve(specifier);
      const loaded = modules.get(file);
      if (loaded !== undefined) return loaded.exports;
      const module = { exports: {} as unknown };
      modules.set(file, module);
      const source = readFileSync(file, 'utf8');
      if (file.endsWith('.json')) module.exports = JSON.parse(source);
      else
        vm.runInContext(
          `(function (exports, require, module, __filename, __dirname) {${source}\n})`,
          sandbox,
          {
            filename: file,
          },
        )(module.exports, requireFrom(file), module, file, dirname(file));
      return module.exports;
    };
  return requireFrom(from);
}
