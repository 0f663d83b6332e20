/**
 * The literal path an Express 4 layer was compiled from. Express 4 keeps only the RegExp of a
 * mount (path-to-regexp 0.1 compiles `'/api'` to `/^\/api\/?(?=\/|$)/i`, one alternative per
 * path of an array), and a RegExp the user passed is kept as it is: a layer whose RegExp is the
 * compiled form of plain text matches that text only, so the text is its template.
 */

// What path-to-regexp 0.1 appends: the optional trailing slash, then the end or a lookahead.
export const COMPILED_TAIL = /(?:\\\/\?)?(?:\(\?=\\\/\|\$\)|\$)$/;
const MOUNT_TAIL = /\(\?=\\\/\|\$\)$/;
export const SYNTAX = '\\^$.|?*+()[]{}';

/** The text a RegExp source without anchors matches, or undefined when it is not plain text. */
function plainText(source: string): string | undefined {
  let out = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      const escaped = source[i + 1];
      if (escaped === undefined || /[0-9A-Za-z]/.test(escaped)) return undefined;
      out += escaped;
      i++;
    } else if (SYNTAX.includes(c)) {
      return undefined;
    } else {
      out += c;
    }
  }
  return out;
}

export function trimSlash(path: string): string {
  return path.endsWith('/') ? path.slice(0, -1) : path;
}

/**
 * The plain text a layer's RegExp was compiled from, given the path it matched; undefined when
 * the RegExp is not plain text (a RegExp the user wrote, such as `/^\/t\/[a-z0-9]+/`).
 */
export function compiledPathText(regexp: RegExp, matchedPath: string): string | undefined {
  const fold = regexp.flags.includes('i') ? (s: string) => s.toLowerCase() : (s: string) => s;
  const matched = fold(trimSlash(matchedPath));
  const source = regexp.source;
  if (!source.startsWith('^')) return undefined;
  // A split inside a group or a class leaves its bracket in the text, which is then not plain.
  for (const alternative of source.slice(1).split('|^')) {
    const text = plainText(alternative.replace(COMPILED_TAIL, ''));
    if (text !== undefined && fold(trimSlash(text)) === matched) return trimSlash(text);
  }
  return undefined;
}

/** Whether a mount's RegExp source has the form path-to-regexp 0.1 gives a string (else the user wrote it). */
export function isCompiledMount(source: string): boolean {
  return source.startsWith('^') && MOUNT_TAIL.test(source);
}
