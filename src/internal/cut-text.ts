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
