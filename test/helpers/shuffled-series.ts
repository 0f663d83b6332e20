import type { Sightline } from '../../src/api/types.js';
import { httpServerInstruments } from '../../src/integrations/shared/instruments.js';

/**
 * Twelve regions, each counted 10 on `orders.placed` (`region`) and once on the HTTP durations
 * (`http.route` /<region>) per collection, 20 collections, recorded in a new seeded order each
 * time: under a `cardinalityLimit` of 10, nine of each keep their places and three are overflow.
 */
export async function recordShuffled(obs: Sightline): Promise<void> {
  const orders = obs.metrics.counter('orders.placed');
  const { duration } = httpServerInstruments(obs);
  const regions = Array.from({ length: 12 }, (_, r) => `r${r}`);
  let seed = 7;
  const rand = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  for (let cycle = 0; cycle < 20; cycle++) {
    for (const r of regions) {
      orders.add(10, { region: r });
      duration.record(0.01, r, () => ({ 'http.request.method': 'GET', 'http.route': `/${r}` }));
    }
    await obs.forceFlush();
    for (let i = regions.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [regions[i], regions[j]] = [regions[j]!, regions[i]!];
    }
  }
}
