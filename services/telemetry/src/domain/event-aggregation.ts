// Event series: each tick's handset events counted by kind for every value of every dimension
// (DESIGN §2). Counts are sums, so batches of one tick add up in any order; a batch's identity is
// a digest of its content, which makes a redelivered batch recognisable without a role field.
import { DigestBuilder, PERSONA_NAMES, EventKind } from '@duet/sim-core';
import { PartError, type Issue } from './errors';
import type { FleetDimensions } from './fleet-dimensions';
import type { PolicyApplication, PolicyHistory } from './policy-history';

export const DIMENSIONS = ['model', 'region', 'group', 'persona', 'policy_version'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** One shard's events of one tick, columnar as in duet.events.v1.HandsetEventBatch. */
export interface EventBatch {
  readonly shard: number;
  readonly tick: number;
  readonly kind: ArrayLike<number>;
  readonly handsetId: ArrayLike<number>;
  readonly persona: ArrayLike<number>;
  readonly a: ArrayLike<number>;
  readonly b: ArrayLike<number>;
}

/** Events of one kind at one tick whose dimension took one value. */
export interface SeriesCount {
  readonly tick: number;
  readonly dimension: Dimension;
  readonly value: string;
  readonly eventKind: number;
  readonly count: number;
}

export interface AggregatedEvents {
  readonly counts: SeriesCount[];
  /** Policy applications first seen in these batches, to store with the counts. */
  readonly applications: PolicyApplication[];
}

/** Identity of a batch: equal content, equal key. Distinct roles never emit equal non-empty batches. */
export function eventBatchKey(batch: EventBatch): string {
  return new DigestBuilder()
    .integer(batch.shard)
    .integer(batch.tick)
    .column(batch.kind)
    .column(batch.handsetId)
    .column(batch.persona)
    .column(batch.a)
    .column(batch.b)
    .hex();
}

/** Checks a batch against its run's fleet; throws PartError naming each broken field. */
export function checkEventBatch(batch: EventBatch, handsets: number): void {
  const issues: Issue[] = [];
  const length = batch.kind.length;
  for (const column of ['handsetId', 'persona', 'a', 'b'] as const) {
    if (batch[column].length !== length)
      issues.push({ parameter: column, rule: 'length', message: `must have one value per event (${length}), got ${batch[column].length}` });
  }
  if (!(Number.isInteger(batch.tick) && batch.tick >= 0))
    issues.push({ parameter: 'tick', rule: 'integer', message: `must be an integer ≥ 0, got ${batch.tick}` });
  if (issues.length === 0) {
    for (let e = 0; e < length; e++) {
      if (!(Number.isInteger(batch.handsetId[e]) && batch.handsetId[e] >= 0 && batch.handsetId[e] < handsets)) {
        issues.push({ parameter: `handset_id.${e}`, rule: 'range', message: `must be a handset id in 0..${handsets - 1}, got ${batch.handsetId[e]}` });
        break;
      }
      if (PERSONA_NAMES[batch.persona[e]] === undefined) {
        issues.push({ parameter: `persona.${e}`, rule: 'enum', message: `must be a Persona code (0, 1, 2), got ${batch.persona[e]}` });
        break;
      }
    }
  }
  if (issues.length > 0) throw new PartError(`event batch of shard ${batch.shard}, tick ${batch.tick}`, issues);
}

/** Counts a run's events per tick, kind and dimension value, tracking each handset's policy version. */
export class EventAggregator {
  constructor(
    private readonly fleet: FleetDimensions,
    private readonly history: PolicyHistory,
  ) {}

  /** Counts batches that have been checked with checkEventBatch and are seen for the first time. */
  aggregate(batches: readonly EventBatch[]): AggregatedEvents {
    const counts = new Map<string, SeriesCount>();
    const add = (tick: number, dimension: Dimension, value: string, eventKind: number) => {
      const key = `${tick}\u0000${dimension}\u0000${value}\u0000${eventKind}`;
      const found = counts.get(key);
      counts.set(key, { tick, dimension, value, eventKind, count: (found?.count ?? 0) + 1 });
    };
    // Applications first: one of tick t changes the version only from tick t + 1 on (versionAt
    // reads earlier ticks), so the batches' order, within this call or across calls, never matters.
    const applications: PolicyApplication[] = [];
    for (const batch of batches) {
      for (let e = 0; e < batch.kind.length; e++) {
        if (batch.kind[e] !== EventKind.POLICY_APPLIED) continue;
        const application = { handsetId: batch.handsetId[e], tick: batch.tick, version: batch.a[e] };
        if (this.history.record(application)) applications.push(application);
      }
    }
    for (const batch of batches) {
      const { tick, kind, handsetId, persona } = batch;
      for (let e = 0; e < kind.length; e++) {
        const id = handsetId[e];
        add(tick, 'model', this.fleet.modelOf(id), kind[e]);
        add(tick, 'region', this.fleet.regionOf(id), kind[e]);
        add(tick, 'group', this.fleet.groupOf(id), kind[e]);
        add(tick, 'persona', PERSONA_NAMES[persona[e]], kind[e]);
        add(tick, 'policy_version', String(this.history.versionAt(id, tick)), kind[e]);
      }
    }
    return { counts: [...counts.values()], applications };
  }
}
