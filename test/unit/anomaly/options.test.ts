import { describe, expect, it } from 'vitest';
import { AnomalyOptionError, createDetector, type DetectorOptions } from '../../../src/anomaly/index.js';
import { SightlineConfigError, SightlineError } from '../../../src/diag/errors.js';

function codeOf(options: unknown): string | undefined {
  try {
    createDetector(options as DetectorOptions);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(AnomalyOptionError);
    expect(err).toBeInstanceOf(Error);
    return (err as AnomalyOptionError).code;
  }
}

describe('detector options', () => {
  it('accepts the documented values', () => {
    for (const options of [
      undefined,
      {},
      { sensitivity: 'low' },
      { sensitivity: 'high', direction: 'up', seasonality: 'weekly' },
      { sensitivity: 0, direction: 'down', seasonality: 'none', warmup: 10, cooldown: 0 },
      { sensitivity: 1, transform: 'log', minRelativeImpact: 0, minAbsoluteImpact: 5, acceptAfter: 1 },
      { timeZone: 'America/New_York' },
      { timeZone: 'UTC' },
    ]) {
      expect(codeOf(options)).toBeUndefined();
    }
  });

  it('rejects bad values with coded errors that name the option and the value', () => {
    expect(codeOf({ sensitivity: 2 })).toBe('SL_ERR_ANOMALY_SENSITIVITY');
    expect(codeOf({ sensitivity: 'extreme' })).toBe('SL_ERR_ANOMALY_SENSITIVITY');
    expect(codeOf({ direction: 'sideways' })).toBe('SL_ERR_ANOMALY_DIRECTION');
    expect(codeOf({ seasonality: 'hourly' })).toBe('SL_ERR_ANOMALY_SEASONALITY');
    expect(codeOf({ warmup: 5 })).toBe('SL_ERR_ANOMALY_WARMUP');
    expect(codeOf({ warmup: 12.5 })).toBe('SL_ERR_ANOMALY_WARMUP');
    expect(codeOf({ cooldown: -1 })).toBe('SL_ERR_ANOMALY_COOLDOWN');
    expect(codeOf({ minRelativeImpact: Number.NaN })).toBe('SL_ERR_ANOMALY_MIN_RELATIVE_IMPACT');
    expect(codeOf({ minAbsoluteImpact: -3 })).toBe('SL_ERR_ANOMALY_MIN_ABSOLUTE_IMPACT');
    expect(codeOf({ transform: 'cube' })).toBe('SL_ERR_ANOMALY_TRANSFORM');
    expect(codeOf({ acceptAfter: 0 })).toBe('SL_ERR_ANOMALY_ACCEPT_AFTER');
    expect(codeOf({ timeZone: 'Mars/Olympus_Mons' })).toBe('SL_ERR_ANOMALY_TIME_ZONE');
    expect(codeOf({ timeZone: -5 })).toBe('SL_ERR_ANOMALY_TIME_ZONE');
    expect(codeOf({ timeZone: '' })).toBe('SL_ERR_ANOMALY_TIME_ZONE');
    expect(codeOf('high')).toBe('SL_ERR_ANOMALY_OPTIONS');
    try {
      createDetector({ sensitivity: 7 });
    } catch (err) {
      expect((err as Error).message).toContain('"sensitivity"');
      expect((err as Error).message).toContain('7');
      expect((err as Error).message).toContain("'medium'");
      expect((err as Error).name).toBe('AnomalyOptionError');
    }
  });

  // A misspelt option was ignored: `warmUp: 30` left the detector silent for 120 points, and
  // `sensitivty: 'high'` alerted as at 'medium', where init() refuses a key it does not take.
  it('rejects an option it does not take, naming it', () => {
    for (const options of [{ warmUp: 30 }, { sensitivty: 'high' }, { direction: 'up', cooldownPoints: 0 }]) {
      expect(codeOf(options)).toBe('SL_ERR_ANOMALY_OPTIONS');
      expect(() => createDetector(options as DetectorOptions)).toThrow(`"${Object.keys(options).at(-1)}"`);
    }
    expect(codeOf({ warmup: 30, sensitivity: undefined })).toBeUndefined();
  });

  it('throws a SightlineConfigError, as every configuration mistake is, with its code in the message and the option named', () => {
    const errorOf = (options: unknown) => {
      try {
        createDetector(options as DetectorOptions);
      } catch (err) {
        return err as SightlineConfigError;
      }
      throw new Error('expected an error');
    };
    const err = errorOf({ minRelativeImpact: -1 });
    expect(err).toBeInstanceOf(AnomalyOptionError);
    expect(err).toBeInstanceOf(SightlineError);
    expect(err).toBeInstanceOf(SightlineConfigError);
    expect(err).toMatchObject({
      name: 'AnomalyOptionError',
      code: 'SL_ERR_ANOMALY_MIN_RELATIVE_IMPACT',
      option: 'minRelativeImpact',
    });
    expect(err.message).toContain('[SL_ERR_ANOMALY_MIN_RELATIVE_IMPACT]');
    expect(errorOf({ timeZone: 'Mars/Olympus_Mons' }).option).toBe('timeZone');
    expect(errorOf('high').option).toBe('options');
    // An option it does not take is named in `option`, as init() names `anomaly.warmUp`: a handler
    // that reports the option at fault read 'options' for every misspelt one.
    expect(errorOf({ warmUp: 30 }).option).toBe('warmUp');
    expect(errorOf({ direction: 'up', cooldownPoints: 0 }).option).toBe('cooldownPoints');
  });

  it('maps higher sensitivity to more alerts on the same data', () => {
    let seed = 99;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    // Ten-point bumps of graded size (+1 to +4 on noise of ±3): sensitivity moves the cut-off of
    // the likelihood, which weighs such collective evidence. (Lone spikes are the new-extreme
    // rule's job, and a recurring spike is learned as normal at every sensitivity.)
    const values = Array.from(
      { length: 6000 },
      (_, i) => 100 + 6 * (rand() - 0.5) + (i % 400 >= 390 ? 1 + (Math.floor(i / 400) % 4) : 0),
    );
    const count = (sensitivity: DetectorOptions['sensitivity']) => {
      const d = createDetector({ sensitivity, minRelativeImpact: 0 });
      return values.filter((v, i) => d.update(v, i * 60_000).episodeStart).length;
    };
    expect(count('high')).toBeGreaterThan(count('low'));
  });
});
