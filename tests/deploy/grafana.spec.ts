import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runScenario } from '@duet/cli/dist/run/run-scenario';
import { loadScenario } from '@duet/cli/dist/scenario/scenario.loader';
import { Database, PROCESS_METRICS } from '@duet/service-kit';
import { KPI_NAMES, emptyLedger, summarizeRun } from '@duet/sim-core';
import { migrateTelemetry } from '@duet/telemetry';
import { REPOSITORY_ROOT } from '../cli/duet-cli';
import { useEmbeddedTarget } from '../e2e/support/embedded-target';
import { freshDatabase, INFRASTRUCTURE_TIMEOUT_MS } from '../support/infrastructure';
import {
  catalogueOf,
  checkPromQL,
  interpolatePromQL,
  interpolateSql,
  loadDashboards,
  queriesOf,
  variablesUsed,
  type MetricCatalogue,
  type Panel,
} from './grafana-queries';

// The provisioned Grafana of docker compose (deploy/grafana/). No Grafana runs here, so the test
// holds the files to what Grafana would meet: data sources compose can fill in, dashboards whose
// panels name those data sources, PromQL that names metrics and labels the services really export
// (scraped from the embedded mode's /metrics after a small run), and SQL that PostgreSQL accepts
// against telemetry's migrated tables and answers with rows.

const readText = (path: string) => readFileSync(join(REPOSITORY_ROOT, path), 'utf8');

interface ComposeService {
  command?: string[];
  environment?: Record<string, string | number>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(readText('docker-compose.yml')) as { services: Record<string, ComposeService> };
const grafana = compose.services.grafana;
const grafanaEnvironment = Object.fromEntries(Object.entries(grafana.environment ?? {}).map(([name, value]) => [name, String(value)]));

interface ProvisionedDataSource {
  name: string;
  uid: string;
  type: string;
  url: string;
  user?: string;
  jsonData?: Record<string, unknown>;
  secureJsonData?: Record<string, string>;
}
const DATA_SOURCE_FILE = 'deploy/grafana/provisioning/datasources/duet.yaml';
const dataSources = (parse(readText(DATA_SOURCE_FILE)) as { datasources: ProvisionedDataSource[] }).datasources;
const dataSourceByUid = new Map(dataSources.map((source) => [source.uid, source]));
const PROMETHEUS_UID = 'duet-prometheus';
const POSTGRES_UID = 'duet-postgres';

const dashboards = loadDashboards();
const queries = dashboards.flatMap(queriesOf);
const promQueries = queries.filter((query) => query.dataSourceUid === PROMETHEUS_UID);
const sqlQueries = queries.filter((query) => query.dataSourceUid === POSTGRES_UID);

/** Grafana replaces $NAME and ${NAME} in provisioning files with its environment. */
function grafanaExpand(value: string): string {
  return value.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced?: string, bare?: string) => {
    const name = (braced ?? bare)!;
    const found = grafanaEnvironment[name];
    if (found === undefined) throw new Error(`${DATA_SOURCE_FILE} reads $${name}, which docker-compose.yml does not set for grafana`);
    return found;
  });
}

describe('Grafana provisioning (deploy/grafana/provisioning)', () => {
  it('provisions Prometheus and PostgreSQL under the uids the dashboards use', () => {
    expect(dataSources.map((source) => [source.uid, source.type])).toEqual([
      [PROMETHEUS_UID, 'prometheus'],
      [POSTGRES_UID, 'grafana-postgresql-datasource'],
    ]);
  });

  it('reads only variables compose sets for grafana', () => {
    const strings = (value: unknown): string[] =>
      typeof value === 'string' ? [value] : typeof value === 'object' && value !== null ? Object.values(value).flatMap(strings) : [];
    const values = strings(dataSources);
    const read = new Set(values.flatMap((value) => [...value.matchAll(/\$\{?(\w+)/g)].map((match) => match[1])));
    expect([...read].sort()).toEqual(['POSTGRES_DB', 'POSTGRES_HOST', 'POSTGRES_PASSWORD', 'POSTGRES_PORT', 'POSTGRES_USER', 'PROMETHEUS_URL']);
    for (const value of values) expect(() => grafanaExpand(value)).not.toThrow();
    expect(() => grafanaExpand('url: $NOT_SET_BY_COMPOSE')).toThrow(/NOT_SET_BY_COMPOSE/);
  });

  it("points at compose's Prometheus and at the database and role of telemetry's DATABASE_URL", () => {
    const prometheus = dataSourceByUid.get(PROMETHEUS_UID)!;
    const listen = (compose.services.prometheus.command ?? []).find((argument) => argument.startsWith('--web.listen-address=:'))?.split('=:')[1];
    expect(listen).toBeDefined();
    expect(grafanaExpand(prometheus.url)).toBe(`http://prometheus:${listen}`);
    // Compared before compose substitutes .env: the same variables in the same places.
    const postgres = dataSourceByUid.get(POSTGRES_UID)!;
    const url = `postgres://${grafanaExpand(postgres.user!)}:${grafanaExpand(postgres.secureJsonData!.password)}@${grafanaExpand(postgres.url)}/${grafanaExpand(String(postgres.jsonData!.database))}`;
    // With TLS verified against the same CA file (PostgreSQL takes nothing else).
    const tls = `?sslmode=${String(postgres.jsonData!.sslmode)}&sslrootcert=${String(postgres.jsonData!.sslRootCertFile)}`;
    expect(postgres.jsonData!.tlsConfigurationMethod).toBe('file-path');
    expect(`${url}${tls}`).toBe(String(compose.services.telemetry.environment!.DATABASE_URL));
    expect(grafana.volumes).toContain(`./.duet/compose/tls:${dirname(String(postgres.jsonData!.sslRootCertFile))}:ro`);
  });

  it('loads the dashboards from the folder compose mounts, after Prometheus, PostgreSQL and telemetry are healthy', () => {
    const provider = (parse(readText('deploy/grafana/provisioning/dashboards/duet.yaml')) as { providers: { type: string; options: { path: string } }[] })
      .providers;
    expect(provider).toHaveLength(1);
    expect(provider[0].type).toBe('file');
    expect(grafana.volumes).toContain(`./deploy/grafana/dashboards:${provider[0].options.path}:ro`);
    expect(grafana.volumes).toContain('./deploy/grafana/provisioning:/etc/grafana/provisioning:ro');
    expect(grafanaEnvironment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(`${provider[0].options.path}/fleet-overview.json`);
    for (const dependency of ['prometheus', 'postgres', 'telemetry']) expect(grafana.depends_on?.[dependency]?.condition).toBe('service_healthy');
    // The PostgreSQL data source uses the application's role: no anonymous queries through it.
    expect(grafanaEnvironment.GF_AUTH_ANONYMOUS_ENABLED).toBe('false');
  });
});

describe('Grafana dashboards (deploy/grafana/dashboards)', () => {
  it('are the fleet overview, the load test and the run comparison, with distinct uids', () => {
    expect(dashboards.map(({ file }) => file)).toEqual(['fleet-overview.json', 'load-test.json', 'run-comparison.json']);
    expect(new Set(dashboards.map(({ dashboard }) => dashboard.uid)).size).toBe(dashboards.length);
  });

  it.each(dashboards)('$file: every panel queries a provisioned data source, with units, in a grid without overlaps', ({ dashboard }) => {
    const panels = dashboard.panels.filter((panel) => panel.type !== 'row');
    expect(new Set(dashboard.panels.map((panel) => panel.id)).size).toBe(dashboard.panels.length);
    for (const panel of panels) {
      const where = `${dashboard.uid} › ${panel.title}`;
      const source = dataSourceByUid.get(panel.datasource?.uid ?? '');
      expect(source, `${where}: data source ${panel.datasource?.uid}`).toBeDefined();
      expect(panel.datasource?.type, where).toBe(source!.type);
      expect(panel.targets?.length, `${where}: targets`).toBeGreaterThan(0);
      for (const target of panel.targets!) expect(target.datasource, `${where} › ${target.refId}`).toEqual(panel.datasource);
      if (panel.type !== 'table' && panel.type !== 'heatmap') expect(panel.fieldConfig?.defaults.unit, `${where}: unit`).toBeDefined();
    }
    const overlaps = (a: Panel, b: Panel) =>
      a.gridPos.x < b.gridPos.x + b.gridPos.w &&
      b.gridPos.x < a.gridPos.x + a.gridPos.w &&
      a.gridPos.y < b.gridPos.y + b.gridPos.h &&
      b.gridPos.y < a.gridPos.y + a.gridPos.h;
    for (const [i, a] of dashboard.panels.entries())
      for (const b of dashboard.panels.slice(i + 1)) expect(overlaps(a, b), `${a.title} overlaps ${b.title}`).toBe(false);
  });

  it('use only variables their dashboard defines', () => {
    for (const query of queries) {
      const defined = query.dashboard.templating.list.map((variable) => variable.name);
      expect(defined, query.where).toEqual(expect.arrayContaining(variablesUsed(query.text)));
    }
  });

  it('rate() counters and take histogram_quantile() over _bucket series only', () => {
    for (const query of promQueries.filter((each) => !each.where.includes('› variable '))) {
      // A counter is only ever read through rate() or increase() (a bare total means nothing over time).
      for (const match of query.text.matchAll(/(duet_\w+_total)(?:\{[^}]*\})?(\[[^\]]+\])?/g))
        expect(match[2], `${query.where}: ${match[1]} without a range`).toBeDefined();
      for (const match of query.text.matchAll(/histogram_quantile\(([^,]+),[^]*?(duet_\w+?)(\{|\[)/g))
        expect(match[2], `${query.where}: histogram_quantile over ${match[2]}`).toMatch(/_bucket$/);
    }
  });
});

describe('PromQL of the dashboards against what the services export', () => {
  let catalogue: MetricCatalogue;

  useEmbeddedTarget('test-grafana', async (target) => {
    // A small run, so every role, histogram and label the dashboards read has samples.
    const { config } = loadScenario(join(REPOSITORY_ROOT, 'scenarios', 'quickstart.yaml'), ['fleet.handsets=40', 'duration=1h', 'start=09:00', 'shards=2']);
    const outcome = await runScenario(target, { runId: 'grafana-1', scenario: 'quickstart', config });
    expect(outcome.phase).toBe('COMPLETED');
    const exposition = await (await fetch(`${target.addresses.runs.replace('/v1/runs', '')}/metrics`)).text();
    // The same registry the embedded stack serves (one per process): the labels it declares for
    // families without samples yet, e.g. Kafka consumer lag, which only the Kafka bus sets.
    catalogue = catalogueOf(exposition, (family) => (PROCESS_METRICS.registry.getSingleMetric(family) as { labelNames?: string[] } | undefined)?.labelNames);
  });

  it('scraped the Duet metrics with their labels', () => {
    expect(catalogue.series.get('duet_rpc_duration_seconds_bucket')).toEqual(new Set(['method', 'side', 'code', 'le']));
    expect(catalogue.series.get('duet_handsets')).toEqual(new Set(['state']));
    expect(catalogue.families.get('duet_kafka_consumer_lag_messages')).toBe('gauge');
  });

  it.each(promQueries.map((query) => [query.where, query] as const))('%s names exported metrics and labels', (_, query) => {
    const report = checkPromQL(interpolatePromQL(query.text), catalogue, query.legendFormat);
    expect(report.problems).toEqual([]);
    expect(report.metrics.length).toBeGreaterThan(0);
  });

  it('show every Duet metric family somewhere', () => {
    const used = new Set(promQueries.flatMap((query) => checkPromQL(interpolatePromQL(query.text), catalogue).metrics));
    const families = [...catalogue.families.keys()].filter((family) => family.startsWith('duet_') && !family.startsWith('duet_process_'));
    const unused = families.filter((family) => ![...used].some((series) => series === family || series.startsWith(`${family}_`)));
    expect(unused).toEqual([]);
  });

  it('catches a metric no service exports, a label a metric or result lacks and a syntax error', () => {
    const problems = (expression: string, legend?: string) => checkPromQL(expression, catalogue, legend).problems;
    expect(problems('sum(rate(duet_handsets_teleported_total[5m]))')).toEqual(['no service exports duet_handsets_teleported_total']);
    expect(problems('sum by (region) (duet_handsets{persona="business"})')).toEqual([
      'duet_handsets has no label persona',
      'sum by/without region, which its operand does not carry',
    ]);
    expect(problems('sum(duet_handsets)', '{{state}}')).toEqual(['the legend names state, which the result does not carry']);
    expect(problems('histogram_quantile(0.95, sum by (method) (rate(duet_rpc_duration_seconds_bucket[5m])))')).toEqual([
      'histogram_quantile over series without le (buckets summed away or not a _bucket series)',
    ]);
    expect(problems('rate(duet_ticks_processed_total[$__rate_interval])')[0]).toMatch(/^syntax error/);
    expect(problems('label_values(duet_rpc_duration_seconds_count, handset)')).toEqual(['the legend names handset, which the result does not carry']);
  });
});

describe('SQL of the dashboards against telemetry’s migrated PostgreSQL', () => {
  const RUN_A = 'grafana-baseline';
  const RUN_B = "grafana-vpn-mandate's"; // a quote, for ${run:sqlstring}
  const TICKS = 90; // one-minute ticks: 1.5 simulated hours
  const window = { from: new Date(Date.now() - 86_400_000), to: new Date(Date.now() + 60_000) };
  let client: Client;

  beforeAll(async () => {
    const url = await freshDatabase('grafana-spec');
    const database = new Database(url);
    try {
      await migrateTelemetry(database);
    } finally {
      await database.close();
    }
    client = new Client({ connectionString: url });
    await client.connect();
    await seedRun(client, RUN_B, 1);
    await seedRun(client, RUN_A, 0);
  }, INFRASTRUCTURE_TIMEOUT_MS);

  afterAll(async () => {
    await client?.end();
  });

  /** Runs a dashboard query the way Grafana would (read-only, interpolated), returning its rows. */
  async function grafanaQuery(text: string): Promise<Record<string, unknown>[]> {
    const sql = interpolateSql(text, { variables: { runA: RUN_A, runB: RUN_B }, ...window });
    await client.query('BEGIN READ ONLY');
    try {
      return (await client.query<Record<string, unknown>>(sql)).rows;
    } finally {
      await client.query('ROLLBACK');
    }
  }

  it.each(sqlQueries.map((query) => [query.where, query] as const))('%s runs and answers with rows', async (_, query) => {
    const rows = await grafanaQuery(query.text);
    expect(rows.length).toBeGreaterThan(0);
  });

  it('lists the runs for runA and puts run A last for runB', async () => {
    const variable = (name: string) => sqlQueries.find((query) => query.where.endsWith(`variable ${name}`))!;
    // Run A was stored last: the newest, first for runA, last for runB.
    expect((await grafanaQuery(variable('runA').text)).map((row) => row.__value)).toEqual([RUN_A, RUN_B]);
    expect((await grafanaQuery(variable('runB').text)).map((row) => row.__value)).toEqual([RUN_B, RUN_A]);
  });

  it("reads every KPI of the side-by-side table from the runs' summaries", async () => {
    const query = sqlQueries.find((each) => each.where.includes('KPIs side by side'))!;
    const rows = await grafanaQuery(query.text);
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) {
      expect(row['run A'], String(row.KPI)).not.toBeNull();
      expect(row['run B'], String(row.KPI)).not.toBeNull();
    }
  });

  it('puts both runs on one axis of simulated hours', async () => {
    const query = sqlQueries.find((each) => each.text.includes('"simulated hours"') && each.text.includes('k.compliant'))!;
    const rows = await grafanaQuery(query.text);
    expect(rows).toHaveLength(TICKS);
    expect(Number(rows[60]['simulated hours'])).toBe(1);
    expect(rows.every((row) => row['run A'] !== null && row['run B'] !== null)).toBe(true);
  });

  it('rejects a column the migrations do not create', async () => {
    await expect(grafanaQuery('SELECT teleported_handsets FROM telemetry.tick_kpis WHERE run_id = ${runA:sqlstring}')).rejects.toThrow(
      /column "teleported_handsets" does not exist/,
    );
    expect(() => interpolateSql('SELECT $__timeGroup(started_at, 1m) FROM telemetry.runs', { variables: {}, ...window })).toThrow(/\$__timeGroup/);
  });

  /** One run with a summary from sim-core's summarizeRun and tick KPIs in every column of tick_kpis. */
  async function seedRun(client: Client, runId: string, variant: number): Promise<void> {
    const handsets = 40;
    const last = KPI_NAMES.map((_, k) => 10 + k + variant);
    const summary = summarizeRun({
      handsets,
      ticks: TICKS,
      shards: 2,
      seed: 7 + variant,
      tickSeconds: 60,
      totals: last.map((value) => value * TICKS),
      last,
      finalState: { emptyCount: new Array<number>(handsets).fill(variant), personalBusinessItems: new Array<number>(handsets).fill(1) },
      digest: `digest-${variant}`,
      ledger: emptyLedger(),
    });
    await client.query(
      `INSERT INTO telemetry.runs (run_id, scenario, seed, handsets, ticks, shards, tick_seconds, phase, ticks_completed, digest, summary, started_at, finished_at)
       VALUES ($1, 'quickstart', $2, $3, $4, 2, 60, 'COMPLETED', $4, $5, $6, now() - $7 * interval '1 hour', now())`,
      [runId, summary.seed, handsets, TICKS, summary.digest, JSON.stringify(summary), variant],
    );
    const columns = (
      await client.query<{ column_name: string }>(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'telemetry' AND table_name = 'tick_kpis' AND data_type = 'bigint' ORDER BY ordinal_position",
      )
    ).rows.map((row) => row.column_name);
    await client.query(
      `INSERT INTO telemetry.tick_kpis (run_id, tick, ${columns.join(', ')})
       SELECT $1, tick, ${columns.map((_, k) => `(tick + ${k + variant}) % 50 + 1`).join(', ')} FROM generate_series(0, $2 - 1) AS tick`,
      [runId, TICKS],
    );
    await client.query(
      `INSERT INTO telemetry.series (run_id, dimension, event_kind, value, tick, count)
       SELECT $1, dimension, 1, value, tick, tick + 1
       FROM (VALUES ('model', 'optimus-2x'), ('model', 'optimus-black'), ('region', 'emea'), ('region', 'apac')) AS dimensions(dimension, value),
            generate_series(0, $2 - 1) AS tick`,
      [runId, TICKS],
    );
  }
});
