// The core's measurement on a worker thread (apps/duet/src/report/measurement-thread.ts), as
// `duet run` starts it beside the services: the same measurement as in this thread, and errors
// that name what stopped it. Imported from the built package, where the worker's file lives.
import { describe, expect, it } from 'vitest';
import { startMeasurementThread } from '../../apps/duet/dist/report/measurement-thread.js';
import { measureRun } from '../../apps/duet/dist/report/run-measurement.js';
import { CORE_SMALL } from '../golden/core-small.config';

describe('measurement thread', () => {
  it('measures a run exactly as the calling thread does, reporting progress on the way', async () => {
    const sut = startMeasurementThread(CORE_SMALL);
    const seen: number[] = [];
    sut.onProgress((ticks) => seen.push(ticks));
    const measured = await sut.result;
    expect(measured).toEqual(measureRun(CORE_SMALL));
    expect(seen.every((ticks, i) => ticks > 0 && ticks <= CORE_SMALL.ticks && (i === 0 || ticks >= seen[i - 1]))).toBe(true);
  });

  it("rejects with the core's own reason when the config is not valid", async () => {
    const sut = startMeasurementThread({ ...CORE_SMALL, ticks: -1 });
    await expect(sut.result).rejects.toThrow(/measuring the run on the core failed: .*ticks/);
  });

  it('can be cancelled, and then rejects instead of hanging', async () => {
    const sut = startMeasurementThread({ ...CORE_SMALL, ticks: 1_000_000 });
    await sut.cancel();
    await expect(sut.result).rejects.toThrow(/exited/);
  });
});
