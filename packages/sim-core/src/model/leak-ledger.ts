// The data-leak ledger: every business item that reaches the personal persona, by the flow that
// carried it and the policy revision (the run's registry index; 0 = AMAPI's defaults) under which
// the hypervisor let it through. Kept as three small fixed-size columns per shard, cell
// (flow, revision), so the hot loop only counts; the per-item log would cost an allocation per leak.
import { FlowKind } from './enums';
import { flowRule } from './cross-persona';

/** Flows that carry business data into the personal persona, in ledger order. */
export const LEAK_FLOWS = [
  FlowKind.COPY_WORK_TO_PERSONAL,
  FlowKind.SHARE_WORK_TO_PERSONAL,
  FlowKind.WORK_CONTACT_LOOKUP_FROM_PERSONAL,
  FlowKind.SCREEN_CAPTURE_WORK_TO_PERSONAL,
] as const;
const LEAK_FLOW_NAMES = ['COPY_WORK_TO_PERSONAL', 'SHARE_WORK_TO_PERSONAL', 'WORK_CONTACT_LOOKUP_FROM_PERSONAL', 'SCREEN_CAPTURE_WORK_TO_PERSONAL'] as const;
/**
 * Revisions the ledger tells apart: 0 … LEDGER_REVISIONS - 2 each have a cell; later ones share
 * the last cell (reported as that revision with `andLater`). Scenarios publish a few revisions.
 */
export const LEDGER_REVISIONS = 64;
export const LEDGER_CELLS = LEAK_FLOWS.length * LEDGER_REVISIONS;
// FlowKind code → ledger row, -1 for flows into the business persona.
const FLOW_ROW = Int8Array.from({ length: 8 }, (_, kind) => LEAK_FLOWS.indexOf(kind as (typeof LEAK_FLOWS)[number]));

/** A shard's ledger columns (cell = row × LEDGER_REVISIONS + revision); first/last tick are -1 until counted. */
export interface LeakLedgerColumns {
  readonly leakCount: Uint32Array;
  readonly leakFirstTick: Int32Array;
  readonly leakLastTick: Int32Array;
}

function cellOf(row: number, revision: number): number {
  return row * LEDGER_REVISIONS + (revision < LEDGER_REVISIONS - 1 ? revision : LEDGER_REVISIONS - 1);
}

/** Counts one item of `kind` let through under `revision` at `tick`; other flows are ignored. */
export function recordLeak(ledger: LeakLedgerColumns, kind: number, revision: number, tick: number): void {
  const row = FLOW_ROW[kind];
  if (row < 0) return;
  const cell = cellOf(row, revision);
  if (ledger.leakCount[cell]++ === 0) ledger.leakFirstTick[cell] = tick;
  ledger.leakLastTick[cell] = tick;
}

/** One non-empty cell as it travels between services (duet.events.v1.LeakLedgerCell). */
export interface LeakLedgerCell {
  readonly flowKind: number;
  readonly policyRevision: number;
  readonly count: number;
  readonly firstTick: number;
  readonly lastTick: number;
}

/** The ledger's non-empty cells, by flow then revision. */
export function ledgerCells(ledger: LeakLedgerColumns): LeakLedgerCell[] {
  const cells: LeakLedgerCell[] = [];
  for (let cell = 0; cell < LEDGER_CELLS; cell++) {
    const count = ledger.leakCount[cell];
    if (count === 0) continue;
    const flowKind = LEAK_FLOWS[Math.floor(cell / LEDGER_REVISIONS)];
    cells.push({ flowKind, policyRevision: cell % LEDGER_REVISIONS, count, firstTick: ledger.leakFirstTick[cell], lastTick: ledger.leakLastTick[cell] });
  }
  return cells;
}

/** Adds cells (another shard's, as ledgerCells lists them) into `into`; a cell of a flow into the business persona is refused. */
export function addLedgerCells(into: LeakLedgerColumns, cells: readonly LeakLedgerCell[]): void {
  for (const { flowKind, policyRevision, count, firstTick, lastTick } of cells) {
    const row = Number.isInteger(flowKind) && flowKind >= 0 && flowKind < FLOW_ROW.length ? FLOW_ROW[flowKind] : -1;
    if (row < 0) throw new RangeError(`leak ledger cell: flowKind ${String(flowKind).slice(0, 20)} is not a flow into the personal persona`);
    const cell = cellOf(row, policyRevision);
    if (count === 0) continue;
    if (into.leakCount[cell] === 0 || firstTick < into.leakFirstTick[cell]) into.leakFirstTick[cell] = firstTick;
    if (lastTick > into.leakLastTick[cell]) into.leakLastTick[cell] = lastTick;
    into.leakCount[cell] += count;
  }
}

/** One row of the ledger in report.json. */
export interface LeakLedgerEntry {
  /** FlowKind name, e.g. COPY_WORK_TO_PERSONAL. */
  readonly flow: string;
  /** The policy field that decided the flow. */
  readonly rule: string;
  readonly policyRevision: number;
  /** True on the last revision cell, which also holds every later revision. */
  readonly andLater: boolean;
  readonly count: number;
  readonly firstTick: number;
  readonly lastTick: number;
}

/** Adds one shard's ledger into `into` (counts summed, first/last ticks widened). */
export function mergeLedger(into: LeakLedgerColumns, from: LeakLedgerColumns): void {
  addLedgerCells(into, ledgerCells(from));
}

export function emptyLedger(): LeakLedgerColumns {
  return {
    leakCount: new Uint32Array(LEDGER_CELLS),
    leakFirstTick: new Int32Array(LEDGER_CELLS).fill(-1),
    leakLastTick: new Int32Array(LEDGER_CELLS).fill(-1),
  };
}

/** The ledger as report.json lists it: its non-empty cells, by flow then revision. */
export function ledgerEntries(ledger: LeakLedgerColumns): LeakLedgerEntry[] {
  return ledgerCells(ledger).map(({ flowKind, policyRevision, count, firstTick, lastTick }) => ({
    flow: LEAK_FLOW_NAMES[LEAK_FLOWS.indexOf(flowKind as (typeof LEAK_FLOWS)[number])],
    rule: flowRule(flowKind),
    policyRevision,
    andLater: policyRevision === LEDGER_REVISIONS - 1,
    count,
    firstTick,
    lastTick,
  }));
}
