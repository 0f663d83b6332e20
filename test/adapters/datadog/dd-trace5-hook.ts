/**
 * Loaded with --import: `dd-trace`, wherever it is required from, resolves to the `dd-trace5`
 * package (dd-trace 5 installed under another name), as if dd-trace 5 were the one installed.
 */
import { registerHooks } from 'node:module';

registerHooks({
  resolve: (specifier, context, nextResolve) =>
    nextResolve(
      /^dd-trace(\/|$)/.test(specifier) ? specifier.replace('dd-trace', 'dd-trace5') : specifier,
      context,
    ),
});
