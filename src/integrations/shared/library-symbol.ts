import { getSightline } from '../../api/global.js';
import type { Diag } from '../../diag/diag.js';

/**
 * The symbol a library keeps a private field of its objects under, which it does not export,
 * found by its description among the object's own symbols. Undefined when there is none, and when
 * there are two: another library's beside it, either of which could be read for the wrong field.
 */
export function librarySymbol(target: object, description: string): symbol | undefined {
  let found: symbol | undefined;
  for (const key of Object.getOwnPropertySymbols(target)) {
    if (key.description !== description) continue;
    if (found !== undefined) return undefined;
    found = key;
  }
  return found;
}

/**
 * Reports once per process, through diagnostics, a library's symbol that should have been found
 * and was not (a version that renamed it), and what goes unrecorded without it: a miss is never
 * silent, and costs nothing once reported.
 */
export function reportMissingSymbol(library: string, description: string, lost: string): void {
  try {
    const diag = (getSightline() as { diag?: Diag } | undefined)?.diag;
    diag?.once(
      `integrations.symbol_missing.${description}`,
      `${library}: no single own symbol '${description}' found, as this version keeps it; ${lost}`,
    );
  } catch {
    // Reporting never stands in the way of the request.
  }
}
