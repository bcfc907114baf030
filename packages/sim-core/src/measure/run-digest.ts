import { DigestBuilder } from '../engine/digest';

/**
 * The run digest (docs/design.md#time-shards-and-determinism): every tick's KPI vector in tick order, then the final per-handset
 * state columns in name order. The in-process simulation and the telemetry service (which sums
 * the services' parts) feed it the same integers, so their digests agree.
 */
export class RunDigest {
  private readonly ticks = new DigestBuilder();
  private nextTick = 0;

  addTick(tick: number, values: ArrayLike<number>): void {
    if (tick !== this.nextTick) throw new RangeError(`digest expects tick ${this.nextTick}, got ${tick}`);
    this.ticks.integer(tick).column(values);
    this.nextTick++;
  }

  get ticksAdded(): number {
    return this.nextTick;
  }

  /** Digest over the ticks so far and the given final state; the builder stays usable. */
  finish(finalState: Readonly<Record<string, ArrayLike<number>>>): string {
    const builder = this.ticks.copy();
    for (const name of Object.keys(finalState).sort()) builder.text(name).column(finalState[name]);
    return builder.hex();
  }
}
