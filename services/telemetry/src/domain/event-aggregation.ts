// Event series: each tick's handset events counted by kind for every value of every dimension
// (docs/design.md#services-and-contracts). Counts are sums, so batches of one tick add up in any order; a batch's identity is
// its (shard, tick, role): each role publishes exactly one batch per shard and tick, empty or not,
// which makes a redelivered batch recognisable and tells when a run's events are all counted.
import { PERSONA_NAMES, EventKind } from '@duet/sim-core';
import { PartError, type Issue } from './errors';
import type { FleetDimensions } from './fleet-dimensions';
import type { PolicyApplication, PolicyHistory } from './policy-history';

export const DIMENSIONS = ['model', 'region', 'group', 'persona', 'policy_version'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** Roles that publish event batches (duet.events.v1.Role): hypervisor, personal, business. */
export const EVENT_ROLES = [1, 2, 3] as const;

/** One role's events of one shard and tick, columnar as in duet.events.v1.HandsetEventBatch. */
export interface EventBatch {
  readonly shard: number;
  readonly tick: number;
  readonly role: number;
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

/** Identity of a batch: one per role, shard and tick. */
export function eventBatchKey(batch: EventBatch): string {
  return `${batch.shard}/${batch.tick}/${batch.role}`;
}

/** Batches a complete run has: one per role, shard and tick. */
export function expectedEventBatches(run: { readonly ticks: number; readonly shards: number }): number {
  return run.ticks * run.shards * EVENT_ROLES.length;
}

/** Checks that a batch can belong to its run at all (its identity); throws PartError naming each broken field. */
export function checkEventBatchIdentity(batch: EventBatch, run: { readonly ticks: number; readonly shards: number }): void {
  const issues: Issue[] = [];
  if (!(EVENT_ROLES as readonly number[]).includes(batch.role))
    issues.push({ parameter: 'role', rule: 'enum', message: `must be a Role that emits events (${EVENT_ROLES.join(', ')}), got ${batch.role}` });
  if (!(Number.isInteger(batch.shard) && batch.shard >= 0 && batch.shard < run.shards))
    issues.push({ parameter: 'shard', rule: 'range', message: `must be a shard of the run, 0..${run.shards - 1}, got ${batch.shard}` });
  if (!(Number.isInteger(batch.tick) && batch.tick >= 0 && batch.tick < run.ticks))
    issues.push({ parameter: 'tick', rule: 'range', message: `must be a tick of the run, 0..${run.ticks - 1}, got ${batch.tick}` });
  if (issues.length > 0) throw new PartError(`event batch of shard ${batch.shard}, tick ${batch.tick}, role ${batch.role}`, issues);
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
    // Counted in typed tables indexed by value code and kind (a run has hundreds of thousands of
    // events per tick; string-keyed maps per event were telemetry's largest cost), named at the end.
    const tables = new Map<number, TickCounts>();
    const fleet = this.fleet;
    for (const batch of batches) {
      const { tick, kind, handsetId, persona } = batch;
      let table = tables.get(tick);
      if (table === undefined) tables.set(tick, (table = new TickCounts(fleet)));
      for (let e = 0; e < kind.length; e++) {
        const id = handsetId[e];
        const k = kind[e];
        table.model[fleet.modelCode(id) * KIND_SLOTS + k]++;
        table.region[fleet.regionCode(id) * KIND_SLOTS + k]++;
        table.group[fleet.groupCode(id) * KIND_SLOTS + k]++;
        table.persona[persona[e] * KIND_SLOTS + k]++;
        table.version(this.history.versionAt(id, tick))[k]++;
      }
    }
    const counts: SeriesCount[] = [];
    for (const [tick, table] of tables) table.collect(tick, fleet, counts);
    return { counts, applications };
  }
}

/** Slots per value in a count table: one per event kind code (codes are small integers). */
const KIND_SLOTS = Math.max(...Object.values(EventKind)) + 1;
const PERSONA_CODES = Math.max(...Object.keys(PERSONA_NAMES).map(Number)) + 1;

/** One tick's counts per dimension, value code × kind; policy versions as they appear. */
class TickCounts {
  readonly model: Float64Array;
  readonly region: Float64Array;
  readonly group: Float64Array;
  readonly persona = new Float64Array(PERSONA_CODES * KIND_SLOTS);
  private readonly versions = new Map<number, Float64Array>();

  constructor(fleet: FleetDimensions) {
    this.model = new Float64Array(fleet.modelNames.length * KIND_SLOTS);
    this.region = new Float64Array(fleet.regionNames.length * KIND_SLOTS);
    this.group = new Float64Array(fleet.groupNames.length * KIND_SLOTS);
  }

  version(version: number): Float64Array {
    let counts = this.versions.get(version);
    if (counts === undefined) this.versions.set(version, (counts = new Float64Array(KIND_SLOTS)));
    return counts;
  }

  collect(tick: number, fleet: FleetDimensions, into: SeriesCount[]): void {
    const named = (dimension: Dimension, table: Float64Array, nameOf: (code: number) => string) => {
      for (let slot = 0; slot < table.length; slot++) {
        if (table[slot] === 0) continue;
        into.push({ tick, dimension, value: nameOf(Math.floor(slot / KIND_SLOTS)), eventKind: slot % KIND_SLOTS, count: table[slot] });
      }
    };
    named('model', this.model, (code) => fleet.modelNames[code]);
    named('region', this.region, (code) => fleet.regionNames[code]);
    named('group', this.group, (code) => fleet.groupNames[code]);
    named('persona', this.persona, (code) => PERSONA_NAMES[code]);
    for (const [version, table] of this.versions) named('policy_version', table, () => String(version));
  }
}
