import { describe, expect, it } from 'vitest';
import { HealthChecks } from './health';

describe('HealthChecks', () => {
  it('is live until a registered part says why it is not, and ready only when every dependency answers', async () => {
    const sut = new HealthChecks();
    const bus: { wedged?: string } = {};
    sut.registerLiveness('event-bus', () => bus.wedged);
    sut.register('postgresql', async () => true);
    sut.register('event-bus', () => {
      throw new Error('not connected');
    });
    expect(sut.live()).toEqual({ status: 'ok', reasons: {} });
    bus.wedged = 'telemetry duet.tick-kpis.v1[3]@120 in its handler for 301 s';
    expect(sut.live()).toEqual({ status: 'not live', reasons: { 'event-bus': bus.wedged } });
    expect(await sut.report()).toEqual({ status: 'unhealthy', checks: { postgresql: true, 'event-bus': false } });
  });
});
