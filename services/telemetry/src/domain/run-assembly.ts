// Assembles a run from the parts the services publish (docs/design.md#services-and-contracts, #time-shards-and-determinism): each role of each shard
// sends its part of every tick's KPIs and, at the end, its part of the final per-handset state.
// A tick is final once every part of it and of every earlier tick is in; final ticks feed the
// run digest in order, and the run completes when every tick is final and every final-state part
// is in. Parts may arrive in any order and more than once (at-least-once delivery): a part seen
// before is ignored, so nothing is counted twice.
import {
  KPI_COUNT,
  LEAK_FLOWS,
  RunDigest,
  addLedgerCells,
  emptyLedger,
  scatterState,
  shardOf,
  summarizeRun,
  type LeakLedgerCell,
  type RunSummary,
} from '@duet/sim-core';
import { PartError, type Issue } from './errors';

/** The services whose parts make up a tick and a final state; codes of duet.events.v1.Role. */
export const Role = { HYPERVISOR: 1, PERSONAL: 2, BUSINESS: 3 } as const;
export type Role = (typeof Role)[keyof typeof Role];
export const ROLES: readonly Role[] = [Role.HYPERVISOR, Role.PERSONAL, Role.BUSINESS];

/** What a run's assembly needs to know from its STARTED message. */
export interface RunPlan {
  readonly runId: string;
  readonly seed: number;
  readonly handsets: number;
  readonly ticks: number;
  readonly shards: number;
  readonly tickSeconds: number;
}

/** One role's part of one shard's KPIs for one tick, in KPI_NAMES order. */
export interface TickPart {
  readonly tick: number;
  readonly shard: number;
  readonly role: number;
  readonly values: ArrayLike<number>;
}

/** One role's final state columns for one shard; row i of every column is handsetIds[i]. */
export interface FinalStatePart {
  readonly shard: number;
  readonly role: number;
  readonly handsetIds: ArrayLike<number>;
  readonly columns: Readonly<Record<string, ArrayLike<number>>>;
  /** The hypervisor's data-leak ledger cells for the shard; none from the persona roles. */
  readonly leaks?: readonly LeakLedgerCell[];
}

/** A tick whose parts are all in: the fleet's KPIs for it. */
export interface FinalTick {
  readonly tick: number;
  readonly values: Float64Array;
}

export interface RunResult {
  readonly digest: string;
  readonly summary: RunSummary;
}

// What a final-state column may be called (sim-core measure/final-state.ts names them in camelCase):
// a name such as __proto__ would otherwise reach the assembly's object and, through it, Object.prototype.
const COLUMN_NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

/** Why a final-state column cannot be called that, or undefined when it can. */
export function columnNameViolation(name: string): string | undefined {
  return COLUMN_NAME.test(name) ? undefined : `columns.${JSON.stringify(name.slice(0, 64))}: letters and digits, starting with a letter [name]`;
}

// Final-state columns the run summary reads (sim-core measure/summary.ts).
const SUMMARY_COLUMNS = ['emptyCount', 'personalBusinessItems'] as const;

export type PartOutcome = 'added' | 'duplicate';

interface PendingTick {
  readonly received: Set<number>;
  readonly values: Float64Array;
}

export class RunAssembly {
  private readonly pending = new Map<number, PendingTick>();
  private readonly digest = new RunDigest();
  private readonly totalValues = new Float64Array(KPI_COUNT);
  private lastValues: Float64Array<ArrayBufferLike> = new Float64Array(KPI_COUNT);
  private readonly finalParts = new Set<number>();
  // No prototype: a column named like one of Object.prototype's members stays a plain column.
  private readonly finalState: Record<string, Float64Array> = Object.create(null) as Record<string, Float64Array>;
  private finalTicks = 0;
  private readonly ledger = emptyLedger();

  constructor(readonly plan: RunPlan) {}

  /** Parts that make up one tick, and the final state: one per role and shard. */
  get partsPerTick(): number {
    return this.plan.shards * ROLES.length;
  }

  /** Ticks final so far (0 ... ticksCompleted - 1). */
  get ticksCompleted(): number {
    return this.finalTicks;
  }

  /** Every tick final and every final-state part in. */
  get complete(): boolean {
    return this.finalTicks === this.plan.ticks && this.finalParts.size === this.partsPerTick;
  }

  /** Sum of every final tick's KPIs. */
  get totals(): Float64Array {
    return this.totalValues.slice();
  }

  /** Adds one part of a tick; `takeFinalTicks` then hands out the ticks it completed. */
  addTickPart(part: TickPart): PartOutcome {
    this.checkTickPart(part);
    if (part.tick < this.finalTicks) return 'duplicate';
    let pending = this.pending.get(part.tick);
    if (pending === undefined) this.pending.set(part.tick, (pending = { received: new Set(), values: new Float64Array(KPI_COUNT) }));
    const slot = this.slotOf(part.shard, part.role);
    if (pending.received.has(slot)) return 'duplicate';
    pending.received.add(slot);
    for (let k = 0; k < KPI_COUNT; k++) pending.values[k] += part.values[k];
    return 'added';
  }

  /** The ticks that became final since the last call, in tick order, fed to the digest. */
  takeFinalTicks(): FinalTick[] {
    const final: FinalTick[] = [];
    for (;;) {
      const pending = this.pending.get(this.finalTicks);
      if (pending === undefined || pending.received.size < this.partsPerTick) return final;
      this.pending.delete(this.finalTicks);
      final.push(this.finalise(this.finalTicks, pending.values));
    }
  }

  /** Takes back a tick stored as final earlier (after a restart); ticks come in order. */
  restoreFinalTick(tick: number, values: ArrayLike<number>): void {
    if (tick !== this.finalTicks) throw new RangeError(`run ${this.plan.runId}: expected stored tick ${this.finalTicks}, got ${tick}`);
    this.finalise(tick, Float64Array.from(values));
  }

  addFinalStatePart(part: FinalStatePart): PartOutcome {
    this.checkFinalStatePart(part);
    const slot = this.slotOf(part.shard, part.role);
    if (this.finalParts.has(slot)) return 'duplicate';
    this.finalParts.add(slot);
    scatterState(this.finalState, this.plan.handsets, part.handsetIds, part.columns);
    addLedgerCells(this.ledger, part.leaks ?? []);
    return 'added';
  }

  /** The digest and summary of a complete run: the same as the in-process simulation's. */
  finish(): RunResult {
    if (!this.complete) {
      throw new RangeError(
        `run ${this.plan.runId} is not complete: ${this.finalTicks}/${this.plan.ticks} ticks, ${this.finalParts.size}/${this.partsPerTick} final-state parts`,
      );
    }
    const missing = SUMMARY_COLUMNS.filter((name) => this.finalState[name] === undefined);
    if (missing.length > 0) {
      throw new PartError(
        `final state of run ${this.plan.runId}`,
        missing.map((name) => ({ parameter: `columns.${name}`, rule: 'required', message: 'no part carried this column' })),
      );
    }
    const digest = this.digest.finish(this.finalState);
    const summary = summarizeRun({
      handsets: this.plan.handsets,
      ticks: this.finalTicks,
      shards: this.plan.shards,
      seed: this.plan.seed,
      tickSeconds: this.plan.tickSeconds,
      totals: this.totalValues,
      last: this.lastValues,
      finalState: this.finalState,
      digest,
      ledger: this.ledger,
    });
    return { digest, summary };
  }

  private finalise(tick: number, values: Float64Array): FinalTick {
    this.digest.addTick(tick, values);
    for (let k = 0; k < KPI_COUNT; k++) this.totalValues[k] += values[k];
    this.lastValues = values;
    this.finalTicks++;
    return { tick, values };
  }

  private slotOf(shard: number, role: number): number {
    return shard * ROLES.length + (role - 1);
  }

  private checkTickPart(part: TickPart): void {
    const issues: Issue[] = [];
    this.checkCoordinates(part, issues);
    if (!isIndex(part.tick, this.plan.ticks))
      issues.push({ parameter: 'tick', rule: 'range', message: `must be an integer in 0..${this.plan.ticks - 1}, got ${part.tick}` });
    if (part.values.length !== KPI_COUNT) {
      issues.push({ parameter: 'kpis', rule: 'length', message: `must hold ${KPI_COUNT} values, got ${part.values.length}` });
    } else {
      for (let k = 0; k < KPI_COUNT; k++) {
        const value = part.values[k];
        if (!(Number.isSafeInteger(value) && value >= 0)) {
          issues.push({ parameter: `kpis.${k}`, rule: 'integer', message: `must be a safe integer ≥ 0, got ${value}` });
          break;
        }
      }
    }
    if (issues.length > 0) throw new PartError(`tick part of run ${this.plan.runId}`, issues);
  }

  private checkFinalStatePart(part: FinalStatePart): void {
    const issues: Issue[] = [];
    this.checkCoordinates(part, issues);
    const ids = part.handsetIds;
    for (let i = 0; i < ids.length; i++) {
      if (!isIndex(ids[i], this.plan.handsets) || (issues.length === 0 && shardOf(ids[i], this.plan.shards) !== part.shard)) {
        issues.push({ parameter: `handset_ids.${i}`, rule: 'shard', message: `handset ${ids[i]} is not in shard ${part.shard} of this run` });
        break;
      }
    }
    for (const [name, values] of Object.entries(part.columns)) {
      if (!COLUMN_NAME.test(name))
        issues.push({
          parameter: `columns.${name.slice(0, 64)}`,
          rule: 'name',
          message: 'a state column is named with letters and digits, starting with a letter',
        });
      else if (values.length !== ids.length)
        issues.push({ parameter: `columns.${name}`, rule: 'length', message: `must hold one value per handset (${ids.length}), got ${values.length}` });
    }
    const leak = (part.leaks ?? []).findIndex((cell) => !this.isLedgerCell(cell));
    if (leak >= 0) {
      const cell = part.leaks![leak];
      issues.push({
        parameter: `leaks.${leak}`,
        rule: 'cell',
        message: `must be a flow into the personal persona counted within the run's ticks, got flow ${cell.flowKind}, ${cell.count} items at ticks ${cell.firstTick}..${cell.lastTick}`,
      });
    }
    if (issues.length > 0) throw new PartError(`final-state part of run ${this.plan.runId}`, issues);
  }

  private isLedgerCell(cell: LeakLedgerCell): boolean {
    const { ticks } = this.plan;
    return (
      (LEAK_FLOWS as readonly number[]).includes(cell.flowKind) &&
      Number.isInteger(cell.policyRevision) &&
      cell.policyRevision >= 0 &&
      Number.isSafeInteger(cell.count) &&
      cell.count > 0 &&
      isIndex(cell.firstTick, ticks) &&
      isIndex(cell.lastTick, ticks) &&
      cell.firstTick <= cell.lastTick
    );
  }

  private checkCoordinates(part: { readonly shard: number; readonly role: number }, issues: Issue[]): void {
    if (!isIndex(part.shard, this.plan.shards))
      issues.push({ parameter: 'shard', rule: 'range', message: `must be an integer in 0..${this.plan.shards - 1}, got ${part.shard}` });
    if (!ROLES.includes(part.role as Role))
      issues.push({ parameter: 'role', rule: 'enum', message: `must be one of ${ROLES.join(', ')} (hypervisor, personal, business), got ${part.role}` });
  }
}

function isIndex(value: number, size: number): boolean {
  return Number.isInteger(value) && value >= 0 && value < size;
}
