import vm from 'node:vm';

/** What a template rendered in a vm sandbox of its own fails with: that realm's SyntaxError. */
export const foreignError = vm.runInNewContext(
  '(() => { try { JSON.parse("{"); } catch (e) { return e; } })()',
) as Error;

/** What some clients reject with: the JSON error body they were answered, as a plain object. */
export const objectError = { code: 'E_QUOTA', message: 'quota exceeded' };

/** The routes throwing them, with the exception each is recorded as: type, message, stack's first line. */
export const NOT_OF_THIS_REALM: [string, string, string, string | undefined][] = [
  ['/foreign-error', 'SyntaxError', foreignError.message, `SyntaxError: ${foreignError.message}`],
  ['/object-error', 'E_QUOTA', 'quota exceeded', undefined],
];
