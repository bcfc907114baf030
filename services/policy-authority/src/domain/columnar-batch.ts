// Shape rules of the columnar batches (EnrollBatch, CheckInBatch): row i of every column describes
// handset_ids[i], every column has the same length, a handset appears once, and a batch holds at
// most MAX_BATCH_ROWS rows. Paths are proto field names, with [i] for a row.
import { hasControlCharacter, MAX_ID_LENGTH } from '@duet/service-kit';
import { NonComplianceReason } from '@duet/sim-core';
import type { IssueList } from './request-error';

export const MAX_BATCH_ROWS = 100_000; // rows per batch: the largest shard docs/design.md#scale-and-performance plans for
export const MAX_NAME_LENGTH = 200; // characters of a group or model name
export const PERMILLE_MAX = 1000;
/** Every bit a sim-core NonComplianceReason uses. */
export const KNOWN_COMPLIANCE_BITS = Object.values(NonComplianceReason).reduce((mask, bit) => mask | bit, 0);

export function checkRunId(issues: IssueList, runId: string): void {
  if (runId === '') issues.add('run_id', 'required', 'is required');
  else checkText(issues, 'run_id', runId, MAX_ID_LENGTH);
}

/**
 * A caller's text bound for PostgreSQL: at most `maxLength` characters and no control character
 * (PostgreSQL's text cannot hold NUL; the others would reach logs and dashboards as they are).
 */
export function checkText(issues: IssueList, path: string, value: string, maxLength: number): void {
  if (value.length > maxLength) issues.add(path, 'max', `must be at most ${maxLength} characters (got ${value.length})`);
  else if (hasControlCharacter(value)) issues.add(path, 'characters', 'must not hold control characters (NUL, line breaks, ...)');
}

/**
 * Checks the batch's shape; returns false when rows cannot be read (too many rows, or columns of
 * different lengths), so row rules are not checked against misaligned columns.
 */
export function checkColumns(issues: IssueList, handsetIds: readonly number[], columns: Readonly<Record<string, { readonly length: number }>>): boolean {
  if (handsetIds.length > MAX_BATCH_ROWS) {
    issues.add('handset_ids', 'max-rows', `holds ${handsetIds.length} rows; a batch holds at most ${MAX_BATCH_ROWS}`);
    return false;
  }
  let aligned = true;
  for (const [name, column] of Object.entries(columns)) {
    if (column.length !== handsetIds.length) {
      issues.add(name, 'column-length', `has ${column.length} rows but handset_ids has ${handsetIds.length}; every column needs one row per handset`);
      aligned = false;
    }
  }
  return aligned;
}

/** Each handset at most once per batch. */
export function checkUniqueHandsets(issues: IssueList, handsetIds: readonly number[]): void {
  const firstRow = new Map<number, number>();
  handsetIds.forEach((id, row) => {
    const first = firstRow.get(id);
    if (first === undefined) firstRow.set(id, row);
    else issues.add(`handset_ids[${row}]`, 'unique', `handset ${id} is already in row ${first}; a batch names each handset once`);
  });
}

export function checkName(issues: IssueList, path: string, value: string, required: boolean): void {
  if (value === '') {
    if (required) issues.add(path, 'required', 'is required');
  } else {
    checkText(issues, path, value, MAX_NAME_LENGTH);
  }
}

export function checkComplianceMask(issues: IssueList, path: string, mask: number): void {
  if (!isKnownMask(mask)) {
    issues.add(path, 'enum', `${mask} has bits no NonComplianceReason uses; known bits: ${KNOWN_COMPLIANCE_BITS.toString(2)} (binary)`);
  }
}

export function checkBattery(issues: IssueList, path: string, permille: number): void {
  if (!isPermille(permille)) issues.add(path, 'max', `must be at most ${PERMILLE_MAX} permille (got ${permille})`);
}

export function checkRevision(issues: IssueList, path: string, revision: number, lastRevision: number): void {
  if (revision > lastRevision) issues.add(path, 'range', `revision ${revision} was never published; the run's last revision is ${lastRevision}`);
}

// The column forms check every row but name (build the path of) only the rows that fail: a batch
// has thousands of rows, nearly always all valid.

export function checkComplianceMaskColumn(issues: IssueList, column: string, masks: ArrayLike<number>): void {
  for (let row = 0; row < masks.length; row++) if (!isKnownMask(masks[row])) checkComplianceMask(issues, `${column}[${row}]`, masks[row]);
}

export function checkBatteryColumn(issues: IssueList, column: string, permilles: ArrayLike<number>): void {
  for (let row = 0; row < permilles.length; row++) if (!isPermille(permilles[row])) checkBattery(issues, `${column}[${row}]`, permilles[row]);
}

/** `pathOf(row)`: the path of a failing row (`applied_revision[3]` in a batch, `applied_revision` alone). */
export function checkRevisionColumn(issues: IssueList, pathOf: (row: number) => string, revisions: ArrayLike<number>, lastRevision: number): void {
  for (let row = 0; row < revisions.length; row++) if (revisions[row] > lastRevision) checkRevision(issues, pathOf(row), revisions[row], lastRevision);
}

function isKnownMask(mask: number): boolean {
  return (mask & ~KNOWN_COMPLIANCE_BITS) === 0;
}

function isPermille(value: number): boolean {
  return value <= PERMILLE_MAX;
}
