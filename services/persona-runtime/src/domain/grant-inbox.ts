// Grants that came back on Kafka, held for the shard runner that waits for them. A shard's runner
// waits for one tick at a time; a grant may come before it waits (kept), twice (a re-simulated
// tick: the later copy is the same and is dropped), or for a tick already done (dropped).
import type { hypervisor } from '@duet/contracts';

interface Waiter {
  readonly tick: number;
  resolve(grant: hypervisor.ExchangeTickResponse): void;
  reject(error: Error): void;
}

interface Unit {
  /** Grants received for ticks not yet taken. */
  readonly held: Map<number, hypervisor.ExchangeTickResponse>;
  /** Ticks below this were taken. */
  next: number;
  waiter?: Waiter;
}

/** Raised to a runner whose wait was called off (its shard moved, or its run ended). */
export class GrantWaitCancelled extends Error {
  override name = 'GrantWaitCancelled';
}

export class GrantInbox {
  private readonly units = new Map<string, Unit>();

  deliver(runId: string, shard: number, tick: number, grant: hypervisor.ExchangeTickResponse): void {
    const unit = this.unitOf(runId, shard);
    if (tick < unit.next) return;
    if (unit.waiter?.tick === tick) {
      const waiter = unit.waiter;
      unit.waiter = undefined;
      unit.next = tick + 1;
      waiter.resolve(grant);
      return;
    }
    unit.held.set(tick, grant);
  }

  /** The grant of `tick`, now if it came already, else when it comes. */
  take(runId: string, shard: number, tick: number): Promise<hypervisor.ExchangeTickResponse> {
    const unit = this.unitOf(runId, shard);
    for (const held of unit.held.keys()) if (held < tick) unit.held.delete(held);
    const grant = unit.held.get(tick);
    if (grant !== undefined) {
      unit.held.delete(tick);
      unit.next = tick + 1;
      return Promise.resolve(grant);
    }
    unit.waiter?.reject(new GrantWaitCancelled(`a wait for tick ${tick} replaced the wait for tick ${unit.waiter.tick}`));
    unit.next = Math.min(unit.next, tick); // a new owner starts over from its checkpoint
    return new Promise((resolve, reject) => (unit.waiter = { tick, resolve, reject }));
  }

  /** Calls off the shard's wait and drops what it holds. */
  cancel(runId: string, shard: number, reason: Error = new GrantWaitCancelled(`shard ${shard} of run ${runId} is no longer driven here`)): void {
    const key = keyOf(runId, shard);
    const unit = this.units.get(key);
    if (unit === undefined) return;
    this.units.delete(key);
    unit.waiter?.reject(reason);
  }

  forgetRun(runId: string): void {
    for (const key of [...this.units.keys()]) if (key.startsWith(`${runId}/`)) this.cancel(runId, Number(key.slice(runId.length + 1)));
  }

  private unitOf(runId: string, shard: number): Unit {
    const key = keyOf(runId, shard);
    let unit = this.units.get(key);
    if (unit === undefined) this.units.set(key, (unit = { held: new Map(), next: 0 }));
    return unit;
  }
}

function keyOf(runId: string, shard: number): string {
  return `${runId}/${shard}`;
}
