import { describe, expect, it } from 'vitest';
// The core's KPI vector is the reference; imported by path in this test only.
import { KPI_NAMES } from '../../sim-core/src/measure/tick-kpis';
import { TickKpis } from './generated/duet/telemetry/v1/telemetry';

describe('duet.telemetry.v1.TickKpis', () => {
  it('has one field per core KPI, in the same order and with the same names', () => {
    expect(Object.keys(TickKpis.fromPartial({}))).toEqual([...KPI_NAMES]);
  });

  it('round-trips integer sums larger than 2^32', () => {
    const kpis = TickKpis.fromPartial({ batteryPermilleSum: 5_000_000_000, handsetsOnline: 100_000 });
    expect(TickKpis.decode(TickKpis.encode(kpis).finish())).toEqual(kpis);
  });
});
