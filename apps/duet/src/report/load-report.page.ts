// report.html's pacing and load section: a banner first when the latency figures cannot be trusted
// (a real-time run that lost pace) or were not paced, then the pacing verdict and the RPC table.
import { escapeHtml, htmlTable } from './html';
import { formatInteger, formatNumber } from './kpi-format';
import type { RunReport } from './run-report';

const BANNER_WARNING = 'border:2px solid #cf222e;background:#fff0f0;padding:8px 12px;border-radius:4px;margin:12px 0';
const BANNER_NOTE = 'border:1px solid #d0a000;background:#fffbe6;padding:8px 12px;border-radius:4px;margin:12px 0';

export function pacingAndLoadSection(report: RunReport): string {
  const { pacing, load } = report;
  if (pacing === undefined && load === undefined) return '';
  const parts: string[] = ['<h2>Pacing and load</h2>'];
  if (pacing?.keptPace === false) {
    parts.push(
      `<p class="lost-pace" style="${BANNER_WARNING}"><strong>Latency figures not trustworthy:</strong> the run could not keep real-time pace ×${pacing.speedFactor} ` +
        `(tick lag p99 ${formatNumber(pacing.lag!.p99Ms)} ms, max ${formatNumber(pacing.lag!.maxMs)} ms, for a tick every ${formatNumber(pacing.tickWallMs!)} ms). ` +
        `Kept pace means ${escapeHtml(pacing.rule ?? '')}. It offered less load than the scenario asks for.</p>`,
    );
  } else if (load !== undefined && !load.paced) {
    parts.push(`<p class="not-paced" style="${BANNER_NOTE}"><strong>Latency figures not paced:</strong> ${escapeHtml(load.note)}.</p>`);
  }
  if (pacing !== undefined) {
    parts.push(
      pacing.mode === 'real-time'
        ? `<p>Real time ×${pacing.speedFactor}: a tick every ${formatNumber(pacing.tickWallMs!)} ms; tick lag p50 ${formatNumber(pacing.lag!.p50Ms)} ms, ` +
            `p99 ${formatNumber(pacing.lag!.p99Ms)} ms, max ${formatNumber(pacing.lag!.maxMs)} ms: ${pacing.keptPace ? 'kept pace' : '<strong>lost pace</strong>'}.</p>`
        : '<p>As fast as possible: ticks start as soon as the previous one is done; lag does not apply.</p>',
    );
  }
  if (load !== undefined) {
    const rows = Object.entries(load.rpc)
      .filter(([, each]) => each.calls > 0)
      .map(([method, each]) => [
        method,
        formatInteger(each.calls),
        formatInteger(each.retries),
        formatInteger(each.errors),
        Object.entries(each.errorsByCode)
          .map(([code, count]) => `${code} ${count}`)
          .join(', '),
        `${formatNumber(Math.round(each.errorRate * 1e4) / 100)} %`,
        formatInteger(each.handsets),
        formatNumber(each.p50Ms),
        formatNumber(each.p90Ms),
        formatNumber(each.p99Ms),
        formatNumber(each.maxMs),
      ]);
    const target = load.checkIns.targetPerSecond === null ? '' : ` against a target of ${formatNumber(load.checkIns.targetPerSecond)}/s`;
    parts.push(
      `<p>Policy authority <code>${escapeHtml(load.policyAuthority)}</code>; ${escapeHtml(load.note)}. ` +
        (load.traffic === 'per-handset'
          ? 'Each call is one agent’s own Enroll or CheckIn, sent at its intended time within the tick; latencies in wall milliseconds.</p>'
          : 'Each call is one batch of a shard’s check-ins at one tick; latencies in wall milliseconds.</p>'),
      htmlTable(['method', 'calls', 'retries', 'errors', 'by status', 'error rate', 'handsets', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'], rows, 1),
      `<p>Check-ins: ${formatNumber(load.checkIns.achievedPerSecond)}/s achieved${target}.</p>`,
      divergenceSection(load.divergences),
    );
  }
  return parts.join('\n');
}

/** Where the server answered otherwise than the reference model: counts by kind, then the first ones. */
function divergenceSection(divergences: NonNullable<RunReport['load']>['divergences']): string {
  if (divergences.total === 0) return '<h3>Divergences</h3><p class="divergences">None: every answer was the reference model’s.</p>';
  const kinds = Object.entries(divergences.byKind).map(([kind, count]) => [kind, formatInteger(count)]);
  const first = divergences.first.map((each) => [formatInteger(each.tick), formatInteger(each.handsetId), each.kind, each.field, each.expected, each.received]);
  return [
    '<h3>Divergences</h3>',
    `<p class="divergences">${formatInteger(divergences.total)} answers of the policy authority differed from the reference model; the run went on with the server’s.</p>`,
    htmlTable(['kind', 'count'], kinds, 1),
    `<p>The first ${formatInteger(first.length)}:</p>`,
    htmlTable(['tick', 'handset', 'kind', 'field', 'expected', 'received'], first, 2),
  ].join('\n');
}
