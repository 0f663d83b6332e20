import { createHash } from 'node:crypto';
import { cutText } from '../internal/cut-text.js';

/** Hex digits of the digest a cut string ends in (64 bits of SHA-256). */
export const DIGEST_CHARS = 16;

function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, DIGEST_CHARS);
}

/**
 * `text` within `maxChars` UTF-16 units: as it is when it fits, else its first characters, then
 * `separator` and a digest of the whole. Strings a backend's length limit would cut to the same
 * prefix (two URLs differing past it) stay distinct, so the series they tell apart stay apart, and
 * the end shows the cut. A surrogate pair is never split.
 *
 * @example
 * cutDistinct(`https://shop.example/search?q=${'z'.repeat(2000)}`, 1024, '~'); // 'https://…zzz~1f0c…' (1,024)
 */
export function cutDistinct(text: string, maxChars: number, separator: string): string {
  return text.length <= maxChars ? text : withDigest(text, maxChars, separator);
}

/**
 * `text` ending in `separator` and a digest of `whole` (by default `text` itself), its first
 * characters kept as far as `maxChars` allows: for text a backend will change (characters it does
 * not take replaced, or left out), so strings that differ only in what it changes stay distinct. A
 * surrogate pair is never split.
 *
 * @example
 * withDigest('北京', 1024, '~'); // '北京~5f2b…' (the caller then replaces what the backend does not take)
 */
export function withDigest(text: string, maxChars: number, separator: string, whole = text): string {
  const kept = cutText(text, Math.max(0, maxChars - separator.length - DIGEST_CHARS));
  return `${kept}${separator}${digestOf(whole)}`;
}

/**
 * Keeps apart names a backend's rules made one: `names[i]` is what `keys[i]` became (`undefined`
 * when left out). Where two come out the same (`user-id` and `user_id`), each whose name changed
 * ends in `separator` and a digest of its key, so neither value overwrites the other and the series
 * they tell apart stay apart; one sent as it was recorded keeps its name, whatever the order.
 *
 * @example
 * const names = ['user_id', 'user_id'];
 * keepNamesApart(['user-id', 'user_id'], names, '_'); // names: ['user_id_3c1e…', 'user_id']
 */
export function keepNamesApart(
  keys: readonly string[],
  names: (string | undefined)[],
  separator: string,
): void {
  const uses = new Map<string, number>();
  let changed = false;
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    if (name === undefined) continue;
    if (name !== keys[i]) changed = true;
    uses.set(name, (uses.get(name) ?? 0) + 1);
  }
  // Names sent as recorded are distinct already.
  if (!changed) return;
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    const key = keys[i] as string;
    if (name === undefined || name === key || (uses.get(name) ?? 0) < 2) continue;
    names[i] = `${name}${separator}${digestOf(key)}`;
  }
}
