import { createHash } from 'node:crypto';

/** Hex digits of the digest a cut string ends in (64 bits of SHA-256). */
const DIGEST_CHARS = 16;

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
  if (text.length <= maxChars) return text;
  let end = Math.max(0, maxChars - separator.length - DIGEST_CHARS);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  const digest = createHash('sha256').update(text).digest('hex').slice(0, DIGEST_CHARS);
  return `${text.slice(0, end)}${separator}${digest}`;
}
