import { NonComplianceReason } from '@duet/sim-core';
import { describe, expect, it } from 'vitest';
import {
  MAX_BATCH_ROWS,
  checkBatteryColumn,
  checkColumns,
  checkComplianceMask,
  checkComplianceMaskColumn,
  checkRevision,
  checkRevisionColumn,
  checkUniqueHandsets,
} from './columnar-batch';
import { IssueList } from './request-error';

describe('columnar batch rules', () => {
  it('names a column whose length differs from handset_ids', () => {
    const sut = new IssueList();
    expect(checkColumns(sut, [1, 2, 3], { device_credentials: ['a', 'b', 'c'], battery_permille: [1, 2] })).toBe(false);
    expect(sut.issues).toEqual([{ path: 'battery_permille', rule: 'column-length', message: expect.stringContaining('has 2 rows but handset_ids has 3') }]);
  });

  it(`refuses more than ${MAX_BATCH_ROWS} rows, naming handset_ids`, () => {
    const sut = new IssueList();
    expect(checkColumns(sut, new Array<number>(MAX_BATCH_ROWS + 1).fill(0), {})).toBe(false);
    expect(sut.issues.map((issue) => `${issue.path} [${issue.rule}]`)).toEqual(['handset_ids [max-rows]']);
  });

  it('names the row of a handset listed twice', () => {
    const sut = new IssueList();
    checkUniqueHandsets(sut, [4, 5, 4]);
    expect(sut.issues).toEqual([{ path: 'handset_ids[2]', rule: 'unique', message: 'handset 4 is already in row 0; a batch names each handset once' }]);
  });

  it('accepts every NonComplianceReason bit and refuses unknown ones', () => {
    const sut = new IssueList();
    checkComplianceMask(sut, 'compliance_mask[0]', NonComplianceReason.VPN | NonComplianceReason.PENDING);
    expect(sut.issues).toEqual([]);
    checkComplianceMask(sut, 'compliance_mask[1]', 1 << 20);
    expect(sut.issues.map((issue) => `${issue.path} [${issue.rule}]`)).toEqual(['compliance_mask[1] [enum]']);
  });

  it('refuses an applied revision the run never published', () => {
    const sut = new IssueList();
    checkRevision(sut, 'applied_revision[3]', 2, 2);
    checkRevision(sut, 'applied_revision[4]', 3, 2);
    expect(sut.issues.map((issue) => `${issue.path} [${issue.rule}]`)).toEqual(['applied_revision[4] [range]']);
  });

  it('names exactly the failing rows of a column, by index', () => {
    const sut = new IssueList();
    checkComplianceMaskColumn(sut, 'compliance_mask', Int32Array.of(0, 1 << 20, NonComplianceReason.VPN, 1 << 21));
    checkBatteryColumn(sut, 'battery_permille', [1000, 1001, 0]);
    checkRevisionColumn(sut, (row) => `applied_revision[${row}]`, [0, 3, 2], 2);
    expect(sut.issues.map((issue) => `${issue.path} [${issue.rule}]`)).toEqual([
      'compliance_mask[1] [enum]',
      'compliance_mask[3] [enum]',
      'battery_permille[1] [max]',
      'applied_revision[1] [range]',
    ]);
  });
});
