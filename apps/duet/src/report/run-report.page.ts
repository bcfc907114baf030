// report.html: one run for people. Threshold verdicts first, then every KPI, charts of the fleet
// over simulated time, the last policy push, outages, and breakdowns by model, region and group.
import { KPI_REGISTRY, KPI_BY_NAME } from '../thresholds/kpi-registry';
import { escapeHtml, htmlPage, htmlTable, passBadge } from './html';
import { formatInteger, formatKpiValue, formatNumber } from './kpi-format';
import { renderLineChart, type ChartSeries, type LineChart } from './line-chart';
import { pacingAndLoadSection } from './load-report.page';
import type { BreakdownRow, Dimension } from './run-measurement';
import type { RunReport } from './run-report';

const percent = (value: number) => `${formatNumber(Math.round(value * 10) / 10)} %`;
const count = (value: number) => formatInteger(value);

export function renderRunReportHtml(report: RunReport): string {
  const sections = [
    header(report),
    thresholdSection(report),
    pacingAndLoadSection(report),
    kpiSection(report),
    costSection(report),
    leakLedgerSection(report),
    chartSection(report),
    rolloutSection(report),
    outageSection(report),
    breakdownSection(report),
  ];
  return htmlPage(`${report.scenario.name}: duet run report`, sections.filter((section) => section !== '').join('\n'));
}

function header(report: RunReport): string {
  const hours = (report.ticks * report.tickSeconds) / 3600;
  const verdict =
    report.thresholds.length === 0
      ? ''
      : `<span class="verdict ${report.passed ? 'ok' : 'ko'}">${report.passed ? 'thresholds pass' : 'thresholds FAIL'}</span>`;
  const overrides =
    report.scenario.overrides.length === 0 ? 'none' : report.scenario.overrides.map((override) => `<code>${escapeHtml(override)}</code>`).join(' ');
  return `<h1>${escapeHtml(report.scenario.name)} ${verdict}</h1>
${report.scenario.description ? `<p>${escapeHtml(report.scenario.description)}</p>` : ''}
<p class="meta">${formatInteger(report.handsets)} handsets over ${report.shards} shard(s), seed ${report.seed}; ${report.ticks} ticks of ${report.tickSeconds} s (${formatNumber(hours)} simulated hours)<br>
scenario <code>${escapeHtml(report.scenario.file)}</code>, overrides ${overrides}<br>
digest <code>${report.digest}</code><br>
${
  report.forkedFrom === undefined
    ? ''
    : `forked from <code>${escapeHtml(report.forkedFrom.dir)}</code> (run <code>${escapeHtml(report.forkedFrom.runId)}</code>) at ${escapeHtml(report.forkedFrom.atTime)} (tick ${report.forkedFrom.atTick}), from its checkpoint at tick ${report.forkedFrom.checkpointTick}<br>`
}run <code>${escapeHtml(report.run.id)}</code> on the ${escapeHtml(report.run.target)} target, ${formatNumber(report.run.wallSeconds)} s wall time</p>`;
}

function thresholdSection(report: RunReport): string {
  if (report.thresholds.length === 0) return '<h2>Thresholds</h2><p class="small">The scenario sets no thresholds.</p>';
  const rows = report.thresholds.map((threshold) => [
    passBadge(threshold.passed),
    threshold.kpi,
    threshold.expression,
    formatKpiValue(KPI_BY_NAME.get(threshold.kpi)?.unit ?? 'count', threshold.value),
  ]);
  return `<h2>Thresholds</h2>${htmlTable(['', 'KPI', 'threshold', 'value'], rows, 3)}`;
}

function kpiSection(report: RunReport): string {
  const rows = KPI_REGISTRY.filter((kpi) => kpi.name in report.kpis).map((kpi) => [kpi.name, formatKpiValue(kpi.unit, report.kpis[kpi.name]), kpi.description]);
  return `<h2>KPIs</h2>${htmlTable(['KPI', 'value', 'meaning'], rows, 1)}`;
}

function costSection(report: RunReport): string {
  const { cost } = report.summary;
  const mah = (micro: number) => `${formatNumber(Math.round(micro / 10) / 100)} mAh`;
  const mb = (kilo: number) => `${formatNumber(Math.round(kilo / 10) / 100)} MB`;
  const rows = (['personal', 'business'] as const).map((persona) => [
    persona,
    mah(cost[persona].energyMicroAh),
    mb(cost[persona].dataKilobytes),
    persona === 'personal' ? mb(cost.dataBilledToHostKilobytes) : mb(0),
    formatInteger(cost[persona].degradedSessions),
  ]);
  return `<h2>Cost by persona</h2><p class="small">Battery drain split by the world that caused it (the guest: its CPU and world switches, wake lock, screen time, share of radio time, VPN; the host: the rest). Data as each world sent it, and as the platform billed it: the guest's traffic runs on the host's network stack and is counted against the MVP app.</p>
${htmlTable(['persona', 'energy', 'data', 'data billed', 'degraded sessions'], rows, 1)}`;
}

function leakLedgerSection(report: RunReport): string {
  const ledger = report.summary.leakLedger;
  if (ledger.length === 0) return '<h2>Data-leak ledger</h2><p class="small">No business item reached the personal persona.</p>';
  const rows = ledger.map((entry) => [
    entry.flow,
    { html: `<code>${escapeHtml(entry.rule)}</code>` },
    `${entry.policyRevision === 0 ? '0 (defaults)' : `${entry.policyRevision} (policies[${entry.policyRevision - 1}])`}${entry.andLater ? ' and later' : ''}`,
    formatInteger(entry.count),
    String(entry.firstTick),
    String(entry.lastTick),
  ]);
  return `<h2>Data-leak ledger</h2><p class="small">Every business item that reached the personal persona, by the flow that carried it and the policy revision under which the hypervisor let it through.</p>
${htmlTable(['flow', 'decided by', 'policy revision', 'items', 'first tick', 'last tick'], rows, 3)}`;
}

function chartSection(report: RunReport): string {
  const series = report.series;
  if (series === undefined) return '<h2>Over simulated time</h2><p class="small">This run was not measured tick by tick.</p>';
  const handsets = report.handsets;
  const share = (name: string, values: readonly number[], whole: number | readonly number[]): ChartSeries => ({
    name,
    values: values.map((value, tick) => {
      const divisor = typeof whole === 'number' ? whole : whole[tick];
      return divisor === 0 ? 0 : (value / divisor) * 100;
    }),
  });
  const pick = (...names: string[]): ChartSeries[] => names.map((name) => ({ name, values: series[name] ?? [] }));
  const bands = (report.outages ?? []).map((outage) => ({ fromTick: outage.fromTick, toTick: outage.toTick, label: `outage: ${outage.region}` }));
  const markers = report.rollout ? [{ tick: report.rollout.tick, label: `push of ${report.rollout.policy}` }] : [];
  const base = { firstTick: 0, tickSeconds: report.tickSeconds, startMinuteOfDay: report.startMinuteOfDay, bands, markers };
  const charts: LineChart[] = [
    {
      ...base,
      title: 'Enrollment and compliance (% of handsets, % of enrolled)',
      series: [share('enrolled, % of handsets', series.enrolled, handsets), share('compliant, % of enrolled', series.compliant, series.enrolled)],
      format: percent,
      yMax: 100,
    },
    {
      ...base,
      title: 'Battery (% of handsets; mean charge in %)',
      series: [
        { name: 'mean charge', values: series.batteryPermilleSum.map((sum) => sum / handsets / 10) },
        share('charging', series.handsetsCharging, handsets),
        share('below 15 %', series.batteryLow, handsets),
        share('flat (powered off)', series.batteryEmpty, handsets),
      ],
      format: percent,
      yMax: 100,
    },
    {
      ...base,
      title: 'Business worlds (handsets)',
      series: pick('guestRunning', 'guestSuspended', 'guestLocked', 'guestWiped', 'guestProvisioning'),
      format: count,
    },
    { ...base, title: 'Sessions per tick', series: pick('sessionsStarted', 'sessionsDegraded', 'sessionsBlocked'), format: count },
    { ...base, title: 'Cross-persona flows per tick', series: pick('flowsAllowed', 'flowsBlocked', 'flowsToPersonalAllowed'), format: count },
    {
      ...base,
      title: 'Business items into the personal world per tick, by flow (data-leak ledger)',
      series: pick('leaksCopyWorkToPersonal', 'leaksShareWorkToPersonal', 'leaksWorkContactLookup', 'leaksScreenCaptureWorkToPersonal'),
      format: count,
    },
    {
      ...base,
      title: 'Battery drain per tick by the world that caused it (mAh over the fleet)',
      series: [
        { name: 'personal', values: (series.energyPersonalMicroAh ?? []).map((micro) => micro / 1000) },
        { name: 'business', values: (series.energyBusinessMicroAh ?? []).map((micro) => micro / 1000) },
      ],
      format: (value) => `${formatNumber(Math.round(value * 100) / 100)} mAh`,
    },
    { ...base, title: 'Check-ins per tick', series: pick('checkIns', 'checkInsUnreachable', 'enrollmentFailures'), format: count },
    { ...base, title: 'Agents waiting out a backoff (handsets)', series: pick('agentsBackingOff'), format: count },
    {
      ...base,
      title: 'Policy, compliance and enforcement changes per tick',
      series: pick('policiesApplied', 'complianceChanges', 'enforcementActions', 'commandsExecuted'),
      format: count,
    },
  ];
  const dimensions = report.dimensionSeries;
  const breakdowns = report.breakdowns;
  if (dimensions !== undefined && breakdowns !== undefined) {
    for (const dimension of ['region', 'group'] as const) {
      charts.push({
        ...base,
        title: `Compliance rate by ${dimension} (% of enrolled)`,
        series: Object.entries(dimensions[dimension]).map(([value, measures]) => share(value, measures.compliant ?? [], measures.enrolled ?? [])),
        format: percent,
        yMax: 100,
      });
    }
    const handsetsOf = (dimension: Dimension, value: string) => breakdowns[dimension].find((row) => row.value === value)?.handsets ?? 1;
    charts.push({
      ...base,
      title: 'Mean battery charge by model (%)',
      series: Object.entries(dimensions.model).map(([value, measures]) => ({
        name: value,
        values: (measures.batteryPermilleSum ?? []).map((sum) => sum / handsetsOf('model', value) / 10),
      })),
      format: percent,
      yMax: 100,
    });
    if ((report.outages ?? []).length > 0) {
      charts.push({
        ...base,
        title: 'Check-ins that could not reach the policy authority, by region, per tick',
        series: Object.entries(dimensions.region).map(([value, measures]) => ({ name: value, values: measures.checkInsUnreachable ?? [] })),
        format: count,
      });
    }
  }
  return `<h2>Over simulated time</h2><p class="small">One point per tick (${report.tickSeconds} simulated seconds); shaded: outages; dashed: the last policy push.</p>
${charts.map(renderLineChart).join('\n')}`;
}

function rolloutSection(report: RunReport): string {
  const rollout = report.rollout;
  if (rollout === undefined) return '';
  const rows = (['rollout_applied_rate', 'rollout_p50_minutes', 'rollout_p90_minutes', 'rollout_p95_minutes', 'rollout_p99_minutes'] as const).map((name) => [
    name,
    formatKpiValue(KPI_BY_NAME.get(name)!.unit, report.kpis[name]),
  ]);
  const chart = renderLineChart({
    title: `Share of the ${formatInteger(rollout.targetHandsets)} target handsets that applied ${rollout.policy} (%)`,
    series: [
      { name: 'applied', values: rollout.appliedByTick.map((applied) => (rollout.targetHandsets === 0 ? 0 : (applied / rollout.targetHandsets) * 100)) },
    ],
    firstTick: rollout.tick,
    tickSeconds: report.tickSeconds,
    startMinuteOfDay: report.startMinuteOfDay,
    format: percent,
    yMax: 100,
  });
  const groups = rollout.groups === undefined ? 'every group' : `groups ${rollout.groups.join(', ')}`;
  return `<h2>Last policy push</h2><p><code>${escapeHtml(rollout.policy)}</code> (policies[${rollout.index}]) for ${escapeHtml(groups)} at tick ${rollout.tick}: ${formatInteger(rollout.appliedHandsets)} of ${formatInteger(rollout.targetHandsets)} target handsets applied it.</p>
${htmlTable(['KPI', 'value'], rows)}${chart}`;
}

function outageSection(report: RunReport): string {
  const outages = report.outages ?? [];
  if (outages.length === 0) return '';
  const rows = outages.map((outage) => [
    outage.region,
    String(outage.fromTick),
    String(outage.toTick),
    formatInteger(outage.enrolledAtEnd),
    outage.recoveryMinutes === null ? 'not within the run' : `${formatNumber(outage.recoveryMinutes)} min`,
  ]);
  return `<h2>Outages</h2><p class="small">Recovery: simulated time after the outage until 99 % of the region's enrolled handsets reached the policy authority again.</p>
${htmlTable(['region', 'from tick', 'to tick (excl.)', 'enrolled at end', 'recovery'], rows)}`;
}

function breakdownSection(report: RunReport): string {
  const breakdowns = report.breakdowns;
  if (breakdowns === undefined) return '';
  const table = (rows: readonly BreakdownRow[]) =>
    htmlTable(
      [
        'value',
        'handsets',
        'enrolled',
        'compliance',
        'battery mean',
        'ran flat',
        'online',
        'business running',
        'sessions',
        'degraded',
        'blocked',
        'check-ins',
        'non-compliance',
      ],
      rows.map((row) => [
        row.value,
        formatInteger(row.handsets),
        formatInteger(row.enrolled),
        percent(row.complianceRate * 100),
        percent(row.batteryMeanPercent),
        formatInteger(row.batteryEmptyHandsets),
        formatInteger(row.online),
        formatInteger(row.guestRunning),
        formatInteger(row.sessions),
        formatInteger(row.degradedSessions),
        formatInteger(row.blockedSessions),
        formatInteger(row.checkIns),
        Object.entries(row.nonCompliance)
          .map(([reason, handsets]) => `${reason} ${formatInteger(handsets)}`)
          .join(', ') || '—',
      ]),
    );
  return `<h2>Fleet at the end, by model, region and group</h2>
<h3>Model</h3>${table(breakdowns.model)}
<h3>Region</h3>${table(breakdowns.region)}
<h3>Group</h3>${table(breakdowns.group)}`;
}
