/**
 * The longest delay `setTimeout` and `AbortSignal.timeout` take (about 24.8 days). Beyond it Node
 * fires after 1 ms with a warning, or throws: a setting meant as "very long" would act as "now".
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;
