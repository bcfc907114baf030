import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KPI_NAMES } from '@duet/sim-core';
import { REPOSITORY_ROOT } from '../cli/duet-cli';

// The data-leak ledger's panel, by flow, in both kinds of dashboard: Grafana's run comparison (its
// SQL is also run against telemetry's tables by grafana.spec.ts) and fleet overview (its PromQL is
// checked against scraped metrics there too), and telemetry's built-in page.
const read = (path: string) => readFileSync(join(REPOSITORY_ROOT, path), 'utf8');
const LEAK_KPIS = ['leaksCopyWorkToPersonal', 'leaksShareWorkToPersonal', 'leaksWorkContactLookup', 'leaksScreenCaptureWorkToPersonal'];
const column = (kpi: string) => kpi.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

describe('the data-leaks-by-flow panel', () => {
  it('is a KPI of every tick, one per flow into the personal persona', () => {
    for (const kpi of LEAK_KPIS) expect(KPI_NAMES).toContain(kpi);
  });

  it('is in the Grafana run-comparison dashboard, reading each flow’s tick_kpis column for runs A and B', () => {
    const dashboard = JSON.parse(read('deploy/grafana/dashboards/run-comparison.json')) as {
      panels: { id: number; title: string; targets?: { rawSql?: string }[] }[];
    };
    const panel = dashboard.panels.find((candidate) => candidate.title === 'Data leaks by flow');
    expect(panel).toBeDefined();
    expect(new Set(dashboard.panels.map((candidate) => candidate.id)).size).toBe(dashboard.panels.length);
    const sql = panel!.targets![0].rawSql!;
    for (const kpi of LEAK_KPIS) expect(sql.split(`k.${column(kpi)}`).length - 1).toBe(2);
    expect(sql).toContain('${runA:sqlstring}');
    expect(sql).toContain('${runB:sqlstring}');
    const migration = ['0004_persona_cost_and_leak_ledger.sql', '0005_agent_backoff_and_screen_capture_leaks.sql']
      .map((file) => read(`services/telemetry/migrations/${file}`))
      .join('\n');
    for (const kpi of LEAK_KPIS) expect(migration).toContain(`ADD COLUMN ${column(kpi)} bigint`);
  });

  it('is in the Grafana fleet overview, from the hypervisor’s duet_data_leaks_total by flow', () => {
    const dashboard = JSON.parse(read('deploy/grafana/dashboards/fleet-overview.json')) as {
      panels: { id: number; title: string; targets?: { expr?: string }[] }[];
    };
    const panel = dashboard.panels.find((candidate) => candidate.title === 'Data leaks by flow');
    expect(panel?.targets?.[0].expr).toBe('sum by (flow) (rate(duet_data_leaks_total[$__rate_interval]))');
    expect(new Set(dashboard.panels.map((candidate) => candidate.id)).size).toBe(dashboard.panels.length);
  });

  it('is on telemetry’s built-in dashboard, fed with the leak series by flow', () => {
    const page = read('services/telemetry/dashboard/index.html');
    expect(page).toMatch(/<div class="chart" id="chart-leaks"/);
    const script = read('services/telemetry/dashboard/dashboard.js');
    expect(script).toContain('charts.leaks.setData([xs, series.leaks.copy, series.leaks.share, series.leaks.contacts, series.leaks.screenshots])');
    for (const kpi of LEAK_KPIS) expect(script).toContain(`kpis.${kpi}`);
    expect(read('services/telemetry/src/repositories/dashboard.repository.ts')).toContain(`'${LEAK_KPIS[0]}'`);
  });
});
