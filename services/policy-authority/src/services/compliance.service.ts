import { Injectable } from '@nestjs/common';
import { policy } from '@duet/contracts';
import { MAX_BATCH_ROWS, checkName, checkRunId } from '../domain/columnar-batch';
import { decodePageToken, encodePageToken, pageSize } from '../domain/page-token';
import { IssueList } from '../domain/request-error';
import { ComplianceRepository, type ComplianceFilter } from '../repositories/compliance.repository';
import { toComplianceRecord } from './contract-messages';

const DEFAULT_PAGE_SIZE = 1000; // records per page
const MAX_PAGE_SIZE = 10_000; // records per page

/** Handsets' compliance: the latest judgment of each, or every stored record (ListCompliance). */
@Injectable()
export class ComplianceService {
  constructor(private readonly compliance: ComplianceRepository) {}

  async listCompliance(request: policy.ListComplianceRequest): Promise<policy.ListComplianceResponse> {
    const issues = new IssueList();
    checkRunId(issues, request.runId);
    checkName(issues, 'group', request.group, false);
    if (request.handsetIds.length > MAX_BATCH_ROWS)
      issues.add('handset_ids', 'max-rows', `names ${request.handsetIds.length} handsets; at most ${MAX_BATCH_ROWS}`);
    issues.throwIfAny('invalid-argument', 'ListComplianceRequest');

    const filter: ComplianceFilter = { runId: request.runId, group: request.group, nonCompliantOnly: request.nonCompliantOnly, handsetIds: request.handsetIds };
    const limit = pageSize(request.pageSize, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    let rows;
    if (request.history) {
      const [afterHandset, afterTick] = decodePageToken(request.pageToken, ['number', 'number'] as const) ?? [-1, -1];
      rows = await this.compliance.history(filter, afterHandset, afterTick, limit + 1);
    } else {
      const [afterHandset] = decodePageToken(request.pageToken, ['number'] as const) ?? [-1];
      rows = await this.compliance.latest(filter, afterHandset, limit + 1);
    }
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      complianceRecords: page.map((row) => toComplianceRecord(request.runId, row)),
      nextPageToken: rows.length > limit ? encodePageToken(request.history ? [last.handsetId, last.tick] : [last.handsetId]) : '',
    };
  }
}
