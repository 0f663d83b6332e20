/**
 * `text` within `max` UTF-16 units, as a JavaScript length limit counts them, one fewer when the
 * last unit kept would be the first half of a surrogate pair (an emoji, a rare CJK character): a
 * half is no character, so a JSON body would carry it as a lone `\ud83d` escape and a UTF-8 one
 * as U+FFFD, neither of which the user wrote.
 *
 * @example
 * cutText('a😀😀', 2); // 'a'
 */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

const encoder = new TextEncoder();

/**
 * `text` within `maxBytes` bytes of UTF-8, for a limit a backend counts in bytes: a character of
 * CJK takes three and an emoji four, so a limit taken as UTF-16 units lets such text through at up
 * to three times the size. The cut falls between characters.
 *
 * @example
 * cutUtf8('注意', 5); // '注'
 */
export function cutUtf8(text: string, maxBytes: number): string {
  // UTF-8 needs at most 3 bytes per UTF-16 unit: only long texts need measuring.
  if (text.length * 3 <= maxBytes) return text;
  // encodeInto writes whole characters only, and says how many units they took.
  const { read } = encoder.encodeInto(text, new Uint8Array(maxBytes));
  return read === text.length ? text : text.slice(0, read);
}
