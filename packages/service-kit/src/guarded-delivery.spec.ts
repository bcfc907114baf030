import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from './event-bus';
import { GuardedDelivery, type DeadLetter } from './guarded-delivery';
import { Metrics } from './metrics';

const TOPIC = 'duet.tick-kpis.v1';
const control = { heartbeat: async () => undefined, running: () => true };
const noWait = async (): Promise<void> => undefined;

function messages(count: number): IncomingMessage[] {
  return Array.from({ length: count }, (_, i) => ({ topic: TOPIC, partition: 0, offset: String(i), key: '0', value: new Uint8Array([i]) }));
}

function transient(): Error {
  return Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
}

async function counted(metrics: Metrics, name: string): Promise<Record<string, number>> {
  const metric = await metrics.registry.getSingleMetric(name)!.get();
  return Object.fromEntries(metric.values.map((value) => [Object.values(value.labels).join('/'), value.value]));
}

describe('GuardedDelivery', () => {
  it('dead-letters what the handler rejects, once, and goes on', async () => {
    const metrics = new Metrics();
    const letters: DeadLetter[] = [];
    const sut = new GuardedDelivery(
      'group',
      async (batch, context) => context.reject(batch[1], 'run_id: required'),
      async (sent) => void letters.push(...sent),
      metrics,
    );
    await sut.deliver(messages(3), control);
    expect(letters.map((letter) => [letter.message.offset, letter.group, letter.reason])).toEqual([['1', 'group', 'run_id: required']]);
    expect(await counted(metrics, 'duet_events_dead_lettered_total')).toEqual({ [`${TOPIC}/group`]: 1 });
  });

  it('tries a failing batch a bounded number of times, then message by message, and dead-letters only the one that fails', async () => {
    const metrics = new Metrics();
    const letters: DeadLetter[] = [];
    const handled: string[] = [];
    const sut = new GuardedDelivery(
      'group',
      async (batch) => {
        if (batch.some((message) => message.offset === '2')) throw new Error('value out of range for type integer');
        handled.push(...batch.map((message) => message.offset));
      },
      async (sent) => void letters.push(...sent),
      metrics,
      { maxAttempts: 3, sleep: noWait },
    );
    await sut.deliver(messages(4), control);
    expect(handled).toEqual(['0', '1', '3']);
    expect(letters.map((letter) => letter.message.offset)).toEqual(['2']);
    expect(letters[0].reason).toBe('failed 3 times: value out of range for type integer');
    // 3 attempts of the batch, 3 of the bad message alone.
    expect(await counted(metrics, 'duet_events_delivery_retries_total')).toEqual({ [`group/${TOPIC}/failed`]: 6 });
  });

  it('retries a transient failure (PostgreSQL restarting) past the attempt bound, dead-lettering nothing', async () => {
    const metrics = new Metrics();
    const letters: DeadLetter[] = [];
    let calls = 0;
    const sut = new GuardedDelivery(
      'group',
      async () => {
        if (++calls <= 10) throw transient();
      },
      async (sent) => void letters.push(...sent),
      metrics,
      { maxAttempts: 3, sleep: noWait },
    );
    await sut.deliver(messages(2), control);
    expect(calls).toBe(11);
    expect(letters).toEqual([]);
  });

  it('gives up on transient failures after its budget, and hands the batch back when the consumer stops', async () => {
    const failing = async (): Promise<void> => {
      throw transient();
    };
    const outOfBudget = new GuardedDelivery('group', failing, async () => undefined, new Metrics(), { transientBudgetMs: -1, sleep: noWait });
    await expect(outOfBudget.deliver(messages(1), control)).rejects.toThrow(/administrator command/);
    const stopping = new GuardedDelivery(
      'group',
      async () => Promise.reject(new Error('boom')),
      async () => undefined,
      new Metrics(),
      { sleep: noWait },
    );
    await expect(stopping.deliver(messages(1), { ...control, running: () => false })).rejects.toThrow('boom');
  });
});
