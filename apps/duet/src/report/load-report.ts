// The load figures of a run (docs/decisions/0007-load-testing.md): the policy authority's answers
// to the business agents, per RPC method (batched traffic: one batch per shard and tick, each
// carrying many check-ins; per-handset traffic: one unary call per agent), the check-in rate
// achieved against the one the schedule asks for, whether the latency figures can be trusted (a
// real-time run that kept pace) or only read as a closed loop, and where the server's answers
// diverged from the reference model.
import type { DivergenceFigures, LatencyPercentiles, PolicyLoadFigures, PolicyMethod, RpcFigures } from '@duet/persona-runtime';
import type { LoadFigures } from '../thresholds/kpi-registry';
import type { PacingReport } from './pacing-report';

/** One method's figures in the report: the recorder's, without the mean, and the service time's p50, p99 and max. */
export type RpcReport = Omit<RpcFigures, 'meanMs' | 'serviceTime'> & {
  /** Same call, timed from when it actually went out (no coordinated-omission correction). */
  readonly serviceTime: Pick<LatencyPercentiles, 'p50Ms' | 'p99Ms' | 'maxMs'>;
};

export interface LoadReport {
  /** HOST:PORT of the policy authority under test, or "embedded". */
  readonly policyAuthority: string;
  /** What the agents sent: one batch per shard and tick, or each its own unary calls. */
  readonly traffic: 'batched' | 'per-handset';
  /** Whether calls went out on a real-time schedule; latencies then count from the intended send time. */
  readonly paced: boolean;
  /** Only a paced run that kept pace gives latency figures to judge a back end by. */
  readonly trustworthy: boolean;
  readonly note: string;
  readonly rpc: Readonly<Record<PolicyMethod, RpcReport>>;
  readonly checkIns: {
    readonly handsets: number;
    /** Check-ins (handsets, not batches) per wall second over the ticks. */
    readonly achievedPerSecond: number;
    /** What the schedule asks for: the same check-ins over the paced duration; null when not paced. */
    readonly targetPerSecond: number | null;
  };
  /** Answers that differ from the reference model: counts by kind and the first ones. */
  readonly divergences: DivergenceFigures;
  /** What generating the load cost this process (the embedded services included). */
  readonly client?: ClientCost;
}

export interface ClientCost {
  /** CPU seconds (user + system) of the duet process over the run. */
  readonly cpuSeconds: number;
  /** JS heap and ArrayBuffers the run holds at its end, after a full GC, per handset. */
  readonly retainedBytesPerHandset: number;
}

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;

export function buildLoadReport(inputs: {
  readonly policyAuthority: string;
  readonly traffic: 'batched' | 'per-handset';
  readonly figures: PolicyLoadFigures;
  readonly pacing: PacingReport;
  readonly ticks: number;
  /** Wall seconds from the run's start until its last tick completed. */
  readonly tickWallSeconds: number;
  readonly client?: ClientCost;
}): LoadReport {
  const { figures, pacing } = inputs;
  const paced = pacing.mode === 'real-time';
  const trustworthy = paced && pacing.keptPace === true;
  const note = !paced
    ? 'not paced: calls went back to back as fast as the run could go (a closed loop); run real-time for latency under a target rate'
    : trustworthy
      ? 'paced in real time and kept pace; latencies count from each call’s intended send time'
      : 'NOT TRUSTWORTHY: the run could not keep real-time pace, so it offered less load than asked and its latencies mix the back end’s delays with the simulator’s';
  const rpc = Object.fromEntries(
    Object.entries(figures.rpc).map(([method, each]) => [
      method,
      {
        calls: each.calls,
        errors: each.errors,
        errorRate: each.errorRate,
        errorsByCode: each.errorsByCode,
        retries: each.retries,
        handsets: each.handsets,
        p50Ms: each.p50Ms,
        p90Ms: each.p90Ms,
        p95Ms: each.p95Ms,
        p99Ms: each.p99Ms,
        maxMs: each.maxMs,
        serviceTime: { p50Ms: each.serviceTime.p50Ms, p99Ms: each.serviceTime.p99Ms, maxMs: each.serviceTime.maxMs },
      },
    ]),
  ) as Record<PolicyMethod, RpcReport>;
  const handsets = figures.rpc.CheckInBatch.handsets + figures.rpc.CheckIn.handsets;
  const scheduledSeconds = pacing.tickWallMs === null ? null : (inputs.ticks * pacing.tickWallMs) / 1000;
  return {
    policyAuthority: inputs.policyAuthority,
    traffic: inputs.traffic,
    paced,
    trustworthy,
    note,
    rpc,
    checkIns: {
      handsets,
      achievedPerSecond: round(handsets / Math.max(inputs.tickWallSeconds, 0.001), 1),
      targetPerSecond: scheduledSeconds === null ? null : round(handsets / scheduledSeconds, 1),
    },
    divergences: figures.divergences,
    client: inputs.client,
  };
}

/** The figures the load KPIs (checkin_latency_*, rpc_error_rate) read. */
export function loadKpiFigures(report: LoadReport): LoadFigures {
  const methods = Object.values(report.rpc);
  const calls = methods.reduce((sum, each) => sum + each.calls, 0);
  const errors = methods.reduce((sum, each) => sum + each.errors, 0);
  const checkIn = report.traffic === 'per-handset' ? report.rpc.CheckIn : report.rpc.CheckInBatch;
  return {
    checkInLatency: { p50Ms: checkIn.p50Ms, p95Ms: checkIn.p95Ms, p99Ms: checkIn.p99Ms },
    rpcErrorRate: calls === 0 ? 0 : round(errors / calls, 6),
    divergences: report.divergences.total,
  };
}

/** Human lines for the terminal: a k6-like end-of-test summary, one block per RPC. */
export function loadReportLines(report: LoadReport): string[] {
  const lines = [`load         policy authority ${report.policyAuthority}, ${report.traffic} traffic: ${report.note}`];
  for (const [method, each] of Object.entries(report.rpc)) {
    if (each.calls === 0) continue;
    const codes = Object.entries(each.errorsByCode).map(([code, count]) => `${code} ${count}`);
    lines.push(
      `  ${method.padEnd(13)} calls ${each.calls}, handsets ${each.handsets}, retries ${each.retries}, errors ${each.errors} (${round(each.errorRate * 100, 2)} %)${codes.length === 0 ? '' : `: ${codes.join(', ')}`}`,
      `  ${''.padEnd(13)} latency p50=${each.p50Ms}ms p90=${each.p90Ms}ms p95=${each.p95Ms}ms p99=${each.p99Ms}ms max=${each.maxMs}ms (service time p50=${each.serviceTime.p50Ms}ms p99=${each.serviceTime.p99Ms}ms)`,
    );
  }
  const target = report.checkIns.targetPerSecond === null ? '' : ` (target ${report.checkIns.targetPerSecond}/s)`;
  lines.push(`  check-ins     ${report.checkIns.achievedPerSecond}/s achieved${target}`);
  if (report.client !== undefined)
    lines.push(`  client        ${report.client.cpuSeconds} CPU s, ${report.client.retainedBytesPerHandset} B retained per handset`);
  const { divergences } = report;
  const kinds = Object.entries(divergences.byKind).map(([kind, count]) => `${kind} ${count}`);
  lines.push(`  divergences   ${divergences.total}${kinds.length === 0 ? '' : `: ${kinds.join(', ')}`}`);
  for (const first of divergences.first.slice(0, 5))
    lines.push(`    tick ${first.tick} handset ${first.handsetId} ${first.field}: expected ${first.expected}, received ${first.received}`);
  return lines;
}
