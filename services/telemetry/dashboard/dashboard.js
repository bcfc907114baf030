// The built-in dashboard: one run's panels, live over server-sent events while it runs, and a
// comparison of two runs. State lives in the URL hash (#run=<id> or #compare=<a>,<b>).
import { COLOURS, TimeSeriesChart, compact, drawHeatmap, integer, percent, renderBars } from './charts.js';

const API = '/v1/dashboard';
const RUN_LIST_REFRESH_MS = 5_000; // new runs appear in the picker
const PANEL_REFRESH_MS = 5_000; // heatmap, breakdown and "fleet now" while a run goes

const $ = (id) => document.getElementById(id);
const state = { runs: [], runId: undefined, panels: undefined, stream: undefined, refreshTimer: undefined, pending: undefined };

const percentAxis = (v) => `${Math.round(100 * v)} %`;
const charts = {
  compliance: new TimeSeriesChart($('chart-compliance'), $('chart-compliance-summary'), [{ label: 'compliant ÷ enrolled', format: (v) => percent(v) }], {
    range: [0, 1],
    axis: percentAxis,
  }),
  battery: new TimeSeriesChart($('chart-battery'), $('chart-battery-summary'), [{ label: 'battery mean', format: (v) => `${v.toFixed(1)} %` }], {
    range: [0, 100],
    axis: (v) => `${v} %`,
  }),
  events: new TimeSeriesChart($('chart-events'), $('chart-events-summary'), [{ label: 'events per tick', format: compact }]),
  worlds: new TimeSeriesChart(
    $('chart-worlds'),
    $('chart-worlds-summary'),
    ['running', 'suspended', 'provisioning', 'locked', 'wiped'].map((label) => ({ label, format: compact })),
  ),
  leaks: new TimeSeriesChart(
    $('chart-leaks'),
    $('chart-leaks-summary'),
    ['copy work→personal', 'share work→personal', 'work contact lookup', 'screenshot work→personal'].map((label) => ({ label, format: compact })),
  ),
};
const compareSeries = (format) => [
  { label: 'A', format, colour: COLOURS[1] },
  { label: 'B', format, colour: COLOURS[3] },
];
const compareCharts = {
  complianceRate: new TimeSeriesChart(
    $('compare-compliance'),
    $('compare-compliance-summary'),
    compareSeries((v) => percent(v)),
    { range: [0, 1], axis: percentAxis },
  ),
  batteryMeanPercent: new TimeSeriesChart(
    $('compare-battery'),
    $('compare-battery-summary'),
    compareSeries((v) => `${v.toFixed(1)} %`),
    {
      range: [0, 100],
      axis: (v) => `${v} %`,
    },
  ),
  eventsPerTick: new TimeSeriesChart($('compare-events'), $('compare-events-summary'), compareSeries(compact)),
};

async function getJson(path) {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.message ?? `${response.status} ${response.statusText}`);
  return body;
}

function setConnection(text, kind = '') {
  $('connection').textContent = text;
  $('connection').dataset.state = kind;
}

function runLabel(run) {
  const phase = run.phase === 'STARTED' ? `running ${run.ticksCompleted}/${run.ticks}` : run.phase.toLowerCase();
  return `${run.runId} · ${run.scenario} · ${integer(run.handsets)} handsets · ${phase}`;
}

function fillPicker(select, selected) {
  select.replaceChildren(
    ...state.runs.map((run) => {
      const option = new Option(runLabel(run), run.runId);
      option.selected = run.runId === selected;
      return option;
    }),
  );
}

async function refreshRuns() {
  try {
    state.runs = (await getJson(`${API}/runs?limit=50`)).runs;
    fillPicker($('run-picker'), state.runId);
    fillPicker($('compare-a'), $('compare-a').value || state.runs[1]?.runId);
    fillPicker($('compare-b'), $('compare-b').value || state.runs[0]?.runId);
  } catch (error) {
    setConnection(`Run list unavailable: ${error.message}`, 'problem');
  }
}

// ---- one run ---------------------------------------------------------------------------------

async function showRun(runId) {
  state.stream?.close();
  state.stream = undefined;
  clearInterval(state.refreshTimer);
  state.runId = runId;
  if (runId === undefined) {
    $('run-title').textContent = 'No runs yet';
    $('run-details').textContent = 'Start one with `npm start` or `duet run`; it appears here.';
    setConnection('Waiting for a run');
    return;
  }
  $('run-picker').value = runId;
  const panels = await loadPanels();
  if (panels?.run.phase === 'STARTED') follow(panels);
  else setConnection(panels ? `Run ${panels.run.phase.toLowerCase()}` : 'Run unavailable', panels ? '' : 'problem');
}

async function loadPanels() {
  const runId = state.runId;
  try {
    const panels = await getJson(`${API}/runs/${encodeURIComponent(runId)}/panels?breakdown=${$('breakdown-picker').value}`);
    if (runId !== state.runId) return undefined;
    state.panels = panels;
    state.pending = undefined;
    renderPanels(panels);
    return panels;
  } catch (error) {
    setConnection(`Cannot load run ${runId}: ${error.message}`, 'problem');
    return undefined;
  }
}

/** The run's per-tick charts, on the simulated time of day: on load and after every live tick. */
function drawRunSeries(run, series) {
  const xs = series.ticks.map((tick) => run.startSecondOfDay + tick * run.tickSeconds);
  charts.compliance.setData([xs, series.complianceRate]);
  charts.battery.setData([xs, series.batteryMeanPercent]);
  charts.events.setData([xs, series.eventsPerTick]);
  charts.worlds.setData([xs, series.guest.running, series.guest.suspended, series.guest.provisioning, series.guest.locked, series.guest.wiped]);
  charts.leaks.setData([xs, series.leaks.copy, series.leaks.share, series.leaks.contacts, series.leaks.screenshots]);
}

function renderPanels(panels) {
  const { run, stats, series, battery } = panels;
  $('run-title').textContent = `Run ${run.runId}`;
  $('run-details').textContent =
    `${run.scenario} · ${integer(run.handsets)} handsets on ${run.shards} shards · seed ${run.seed} · ${run.tickSeconds} s ticks · ` +
    `${run.phase.toLowerCase()}${run.digest ? ` · digest ${run.digest.slice(0, 12)}…` : ''}${run.failure ? ` · ${run.failure}` : ''}`;
  renderStats(stats);
  drawRunSeries(run, series);
  drawHeatmap(
    $('heatmap-battery'),
    $('heatmap-battery-summary'),
    battery.bands,
    battery.ticks.map((tick) => run.startSecondOfDay + tick * run.tickSeconds),
  );
  renderLive(panels.live, panels.summary);
  renderBreakdown(panels.breakdown);
}

function renderStats(stats) {
  $('stat-tick').textContent = `${integer(stats.ticksCompleted)} / ${integer(stats.ticks)}`;
  $('stat-online').textContent = stats.handsetsOnline == null ? '–' : `${integer(stats.handsetsOnline)} / ${integer(stats.handsets)}`;
  $('stat-compliance').textContent = percent(stats.complianceRate);
  $('stat-battery').textContent = stats.batteryMeanPercent == null ? '–' : `${stats.batteryMeanPercent.toFixed(1)} %`;
  $('stat-events').textContent = compact(stats.eventsPerSecond);
  $('stat-lag').textContent = stats.tickLagSeconds == null ? '–' : `${stats.tickLagSeconds.toFixed(2)} s`;
}

const SUMMARY_ROWS = [
  ['enrolled', 'Enrolled', integer],
  ['guestRunning', 'Business world running', integer],
  ['batteryEmptyHandsets', 'Handsets that ran flat', integer],
  ['degradedSessionRate', 'Degraded sessions', (v) => percent(v, 2)],
  ['flowsAllowed', 'Cross-persona flows allowed', integer],
  ['flowsBlocked', 'Cross-persona flows blocked', integer],
  ['businessItemsInPersonal', 'Business items in the personal persona', integer],
  ['policiesApplied', 'Policies applied', integer],
  ['enforcementActions', 'Enforcement actions', integer],
  ['commandsExecuted', 'Commands executed', integer],
];

function renderLive(live, summary) {
  const container = $('live');
  $('live-title').textContent = live === undefined && summary !== undefined ? 'Run summary' : 'Fleet now';
  if (live === undefined) {
    if (summary === undefined) {
      const note = Object.assign(document.createElement('p'), { className: 'summary' });
      note.textContent = 'Battery levels and non-compliance reasons of the fleet now appear while a run goes in this process (embedded mode).';
      container.replaceChildren(note);
      return;
    }
    const list = Object.assign(document.createElement('dl'), { className: 'facts' });
    for (const [name, label, format] of SUMMARY_ROWS) {
      list.append(
        Object.assign(document.createElement('dt'), { textContent: label }),
        Object.assign(document.createElement('dd'), { textContent: format(summary[name]) }),
      );
    }
    container.replaceChildren(list);
    return;
  }
  const heading = (text) => Object.assign(document.createElement('h4'), { textContent: text, className: 'muted' });
  const battery = Object.assign(document.createElement('div'), { className: 'bars' });
  renderBars(
    battery,
    live.batteryLevels.map((band, i) => ({
      label: `${i === 0 ? 0 : Math.round(100 * live.batteryLevels[i - 1].atMost)}–${Math.round(100 * band.atMost)} %`,
      value: band.handsets,
    })),
  );
  const reasons = Object.assign(document.createElement('div'), { className: 'bars' });
  renderBars(
    reasons,
    live.nonCompliant.map((reason) => ({ label: reason.reason, value: reason.handsets })),
    'reason',
  );
  container.replaceChildren(heading('Handsets per battery level'), battery, heading('Non-compliant handsets by reason'), reasons);
}

function renderBreakdown(breakdown) {
  const table = $('breakdown');
  const head = table.createTHead();
  head.replaceChildren();
  const headRow = head.insertRow();
  for (const text of [breakdown.dimension, 'Handsets', ...breakdown.columns.map((column) => column.label)]) {
    const cell = document.createElement('th');
    cell.scope = 'col';
    cell.textContent = text;
    headRow.append(cell);
  }
  const body = table.tBodies[0] ?? table.createTBody();
  body.replaceChildren(
    ...breakdown.rows.map((row) => {
      const tr = document.createElement('tr');
      const name = document.createElement('th');
      name.scope = 'row';
      name.textContent = row.value;
      tr.append(name, ...[row.handsets, ...row.counts].map((value) => Object.assign(document.createElement('td'), { textContent: integer(value) })));
      return tr;
    }),
  );
}

/** Live updates: stat panels and series from each `tick` event; the slower panels every few seconds. */
function follow(panels) {
  const runId = panels.run.runId;
  const stream = new EventSource(`${API}/runs/${encodeURIComponent(runId)}/stream?since=${panels.run.ticksCompleted}`);
  state.stream = stream;
  setConnection('Connecting…');
  stream.addEventListener('open', () => setConnection('Live', 'live'));
  stream.addEventListener('error', () => setConnection('Reconnecting…', 'problem'));
  stream.addEventListener('problem', (event) => setConnection(`Live, with a problem: ${JSON.parse(event.data).message}`, 'problem'));
  stream.addEventListener('tick', (event) => {
    if (state.stream !== stream) return;
    applyTicks(JSON.parse(event.data));
    setConnection('Live', 'live');
  });
  stream.addEventListener('phase', async (event) => {
    stream.close();
    if (state.stream !== stream) return;
    state.stream = undefined;
    clearInterval(state.refreshTimer);
    setConnection(`Run ${JSON.parse(event.data).phase.toLowerCase()}`);
    await loadPanels();
    await refreshRuns();
  });
  state.refreshTimer = setInterval(() => void loadPanels(), PANEL_REFRESH_MS);
}

function applyTicks(message) {
  const panels = state.panels;
  if (panels === undefined || message.ticks.length === 0) return;
  const { run, series, stats } = panels;
  const step = panels.range.step;
  const last = message.ticks[message.ticks.length - 1].kpis;
  if (message.ticksCompleted <= stats.ticksCompleted) return; // a panel reload got there first
  run.ticksCompleted = stats.ticksCompleted = message.ticksCompleted;
  stats.handsetsOnline = last.handsetsOnline;
  stats.complianceRate = last.enrolled === 0 ? null : last.compliant / last.enrolled;
  stats.batteryMeanPercent = last.batteryPermilleSum / run.handsets / 10;
  renderStats(stats);
  // Points are means over `step` ticks: a tick joins the last point while it belongs to its bucket.
  for (const { tick, kpis } of message.ticks) {
    const bucket = Math.floor(tick / step) * step;
    const values = {
      complianceRate: kpis.enrolled === 0 ? null : kpis.compliant / kpis.enrolled,
      batteryMeanPercent: kpis.batteryPermilleSum / run.handsets / 10,
      eventsPerTick: kpis.events,
      running: kpis.guestRunning,
      suspended: kpis.guestSuspended,
      provisioning: kpis.guestProvisioning,
      locked: kpis.guestLocked,
      wiped: kpis.guestWiped,
      copy: kpis.leaksCopyWorkToPersonal,
      share: kpis.leaksShareWorkToPersonal,
      contacts: kpis.leaksWorkContactLookup,
      screenshots: kpis.leaksScreenCaptureWorkToPersonal,
    };
    const lists = {
      complianceRate: series.complianceRate,
      batteryMeanPercent: series.batteryMeanPercent,
      eventsPerTick: series.eventsPerTick,
      ...series.guest,
      ...series.leaks,
    };
    const at = series.ticks.length - 1;
    if (at >= 0 && bucket < series.ticks[at]) continue;
    if (at >= 0 && series.ticks[at] === bucket) {
      const count = (state.pending?.bucket === bucket ? state.pending.count : 1) + 1;
      for (const [name, value] of Object.entries(values))
        lists[name][at] = value == null || lists[name][at] == null ? value : lists[name][at] + (value - lists[name][at]) / count;
      state.pending = { bucket, count };
    } else {
      series.ticks.push(bucket);
      for (const [name, value] of Object.entries(values)) lists[name].push(value);
      state.pending = { bucket, count: 1 };
    }
  }
  drawRunSeries(run, series);
}

// ---- comparison ------------------------------------------------------------------------------

async function showComparison(a, b) {
  $('compare-error').hidden = true;
  if (!a || !b) return;
  try {
    const comparison = await getJson(`${API}/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);
    renderComparison(comparison);
  } catch (error) {
    $('compare-error').textContent = `Cannot compare: ${error.message}`;
    $('compare-error').hidden = false;
  }
}

function formatKpi(unit, value, delta = false) {
  if (value == null) return '–';
  if (unit === 'ratio') return delta ? `${(100 * value).toFixed(2)} pp` : percent(value, 2);
  if (unit === '%' && delta) return `${value.toFixed(2)} pp`;
  if (unit === '%') return `${value.toFixed(2)} %`;
  return integer(value);
}

function renderComparison(comparison) {
  const table = $('compare-kpis');
  const head = table.createTHead();
  head.replaceChildren();
  const headRow = head.insertRow();
  for (const text of ['KPI', `A: ${comparison.a.runId}`, `B: ${comparison.b.runId}`, 'Δ (B − A)', 'Δ relative']) {
    headRow.append(Object.assign(document.createElement('th'), { scope: 'col', textContent: text }));
  }
  const body = table.tBodies[0] ?? table.createTBody();
  body.replaceChildren(
    ...comparison.kpis.map((kpi) => {
      const tr = document.createElement('tr');
      tr.dataset.kpi = kpi.name;
      tr.append(Object.assign(document.createElement('th'), { scope: 'row', textContent: kpi.label }));
      // Arrows, not colours: whether more is better depends on the KPI.
      const arrow = kpi.delta > 0 ? '▲ +' : kpi.delta < 0 ? '▼ ' : '';
      const delta = kpi.delta == null ? '–' : `${arrow}${formatKpi(kpi.unit, kpi.delta, true)}`;
      const relative = kpi.relative == null ? '–' : `${kpi.relative > 0 ? '+' : ''}${(100 * kpi.relative).toFixed(1)} %`;
      for (const [text, className] of [
        [formatKpi(kpi.unit, kpi.a), 'a'],
        [formatKpi(kpi.unit, kpi.b), 'b'],
        [delta, 'delta'],
        [relative, 'relative'],
      ])
        tr.append(Object.assign(document.createElement('td'), { textContent: text, className }));
      return tr;
    }),
  );
  const { tickSeconds, startSecondOfDay } = comparison.a; // both runs on A's clock, tick for tick
  const xs = comparison.series.ticks.map((tick) => startSecondOfDay + tick * tickSeconds);
  for (const [name, chart] of Object.entries(compareCharts)) chart.setData([xs, comparison.series.a[name], comparison.series.b[name]]);
}

// ---- navigation ------------------------------------------------------------------------------

function selectTab(view) {
  const compare = view === 'compare';
  $('tab-run').setAttribute('aria-selected', String(!compare));
  $('tab-compare').setAttribute('aria-selected', String(compare));
  $('tab-run').tabIndex = compare ? -1 : 0;
  $('tab-compare').tabIndex = compare ? 0 : -1;
  $('run-view').hidden = compare;
  $('compare-view').hidden = !compare;
  $('run-picker').disabled = compare;
}

async function route() {
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.has('compare')) {
    const [a, b] = hash.get('compare').split(',');
    selectTab('compare');
    if (a) $('compare-a').value = a;
    if (b) $('compare-b').value = b;
    await showComparison($('compare-a').value, $('compare-b').value);
  } else {
    selectTab('run');
    await showRun(hash.get('run') ?? state.runId ?? state.runs[0]?.runId);
  }
}

$('run-picker').addEventListener('change', () => (location.hash = `run=${encodeURIComponent($('run-picker').value)}`));
$('breakdown-picker').addEventListener('change', () => void loadPanels());
$('compare-form').addEventListener('submit', (event) => {
  event.preventDefault();
  location.hash = `compare=${encodeURIComponent($('compare-a').value)},${encodeURIComponent($('compare-b').value)}`;
});
$('tab-run').addEventListener('click', () => (location.hash = state.runId ? `run=${encodeURIComponent(state.runId)}` : ''));
$('tab-compare').addEventListener('click', () => (location.hash = `compare=${$('compare-a').value},${$('compare-b').value}`));
// Arrow keys move between the two tabs (WAI-ARIA tabs pattern).
for (const tab of [$('tab-run'), $('tab-compare')]) {
  tab.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
    const other = tab.id === 'tab-run' ? $('tab-compare') : $('tab-run');
    other.focus();
    other.click();
  });
}
window.addEventListener('hashchange', () => void route());

await refreshRuns();
await route();
setInterval(() => void refreshRuns(), RUN_LIST_REFRESH_MS);
// Shown in the page's title bar too, for a glance from another tab.
setInterval(() => {
  const panels = state.panels;
  if (panels) document.title = `${panels.run.runId} · tick ${panels.stats.ticksCompleted}/${panels.stats.ticks} · Duet`;
}, 1_000);
