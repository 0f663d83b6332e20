import { describe, expect, it } from 'vitest';
import {
  COLD_AT,
  F,
  OWN_COLD_FLOATS,
  OWN_HOT_FLOATS,
  STATE_FLOATS,
} from '../../../src/anomaly/detector-state.js';

describe('detector state layout', () => {
  const slots = Object.entries(F);

  it('gives every scalar its own slot', () => {
    const taken = new Map<number, string>();
    for (const [name, slot] of slots) {
      expect(taken.get(slot), `${name} shares slot ${slot}`).toBeUndefined();
      taken.set(slot, name);
    }
  });

  it('keeps the scalars inside the detector ranges, clear of the likelihood and profile state', () => {
    const hot = slots.filter(([, slot]) => slot < OWN_HOT_FLOATS);
    const cold = slots.filter(([, slot]) => slot >= COLD_AT && slot < COLD_AT + OWN_COLD_FLOATS);
    expect(hot.length).toBe(OWN_HOT_FLOATS);
    expect(cold.length).toBe(OWN_COLD_FLOATS);
    expect(hot.length + cold.length).toBe(slots.length);
    expect(COLD_AT + OWN_COLD_FLOATS).toBeLessThanOrEqual(STATE_FLOATS);
  });
});
