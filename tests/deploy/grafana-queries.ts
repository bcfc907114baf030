// What tests/deploy/grafana.spec.ts holds the provisioned Grafana dashboards to: their JSON shape
// (a zod schema of the parts Grafana needs), every query they send, and checkers that read PromQL
// with Prometheus's own grammar (@prometheus-io/lezer-promql, the parser of the Prometheus UI) and
// stand in for Grafana's variable and macro interpolation. No Grafana runs where the tests do.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { z } from 'zod';

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

export const DASHBOARD_FOLDER = join(__dirname, '..', '..', 'deploy', 'grafana', 'dashboards');

const DataSourceReference = z.object({ type: z.string().min(1), uid: z.string().min(1) }).strict();

const Target = z
  .object({
    refId: z.string().min(1),
    datasource: DataSourceReference,
    expr: z.string().min(1).optional(),
    rawSql: z.string().min(1).optional(),
    legendFormat: z.string().optional(),
    format: z.enum(['time_series', 'table', 'heatmap']).optional(),
  })
  .loose()
  .refine((target) => (target.expr === undefined) !== (target.rawSql === undefined), 'a target has exactly one of expr (PromQL) and rawSql (SQL)');

const GridPosition = z.object({ x: z.number().int().min(0), y: z.number().int().min(0), w: z.number().int().min(1), h: z.number().int().min(1) }).strict();

const PANEL_TYPES = ['row', 'stat', 'gauge', 'bargauge', 'timeseries', 'heatmap', 'table', 'trend'] as const;

const Panel = z
  .object({
    id: z.number().int().positive(),
    type: z.enum(PANEL_TYPES),
    title: z.string().min(1),
    description: z.string().min(1).optional(),
    gridPos: GridPosition.refine((position) => position.x + position.w <= 24, 'a panel ends within the 24 grid columns'),
    datasource: DataSourceReference.optional(),
    targets: z.array(Target).optional(),
    fieldConfig: z.object({ defaults: z.object({ unit: z.string().min(1).optional() }).loose(), overrides: z.array(z.unknown()) }).optional(),
    options: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();

const Variable = z
  .object({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
    type: z.enum(['query', 'custom']),
    datasource: DataSourceReference.optional(),
    definition: z.string().optional(),
    // PromQL variables hold { qryType, query }; SQL and custom ones a string.
    query: z.union([z.string().min(1), z.object({ query: z.string().min(1) }).loose()]),
  })
  .loose();

export const Dashboard = z
  .object({
    uid: z.string().regex(/^[a-z0-9-]{1,40}$/),
    title: z.string().min(1),
    description: z.string().min(1),
    schemaVersion: z.number().int().min(39),
    tags: z.array(z.string()).min(1),
    time: z.object({ from: z.string(), to: z.string() }),
    panels: z.array(Panel).min(1),
    templating: z.object({ list: z.array(Variable) }),
  })
  .loose();
export type Dashboard = z.infer<typeof Dashboard>;
export type Panel = z.infer<typeof Panel>;

export interface LoadedDashboard {
  readonly file: string;
  readonly dashboard: Dashboard;
}

/** Every dashboard file, parsed and validated (throws naming the file and the path in it). */
export function loadDashboards(folder = DASHBOARD_FOLDER): LoadedDashboard[] {
  return readdirSync(folder)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const parsed = Dashboard.safeParse(JSON.parse(readFileSync(join(folder, file), 'utf8')));
      if (!parsed.success) throw new Error(`${file}: ${z.prettifyError(parsed.error)}`);
      return { file, dashboard: parsed.data };
    });
}

export interface DashboardQuery {
  /** e.g. `load-test.json › RPC latency p95 › A`, or `› variable role`. */
  readonly where: string;
  readonly dataSourceUid: string;
  readonly text: string;
  /** Grafana's legend template (`{{method}}`), for PromQL targets. */
  readonly legendFormat?: string;
  readonly dashboard: Dashboard;
}

/** Every query a dashboard sends: panel targets and query variables. */
export function queriesOf({ file, dashboard }: LoadedDashboard): DashboardQuery[] {
  const queries: DashboardQuery[] = [];
  for (const panel of dashboard.panels) {
    for (const target of panel.targets ?? []) {
      queries.push({
        where: `${file} › ${panel.title} › ${target.refId}`,
        dataSourceUid: target.datasource.uid,
        text: target.expr ?? target.rawSql ?? '',
        legendFormat: target.legendFormat,
        dashboard,
      });
    }
  }
  for (const variable of dashboard.templating.list) {
    if (variable.type !== 'query' || variable.datasource === undefined) continue;
    const text = typeof variable.query === 'string' ? variable.query : variable.query.query;
    queries.push({ where: `${file} › variable ${variable.name}`, dataSourceUid: variable.datasource.uid, text, dashboard });
  }
  return queries;
}

/** Names of the dashboard variables a query uses: `$name`, `${name}`, `${name:format}`, `[[name]]`. */
export function variablesUsed(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\}|\$([A-Za-z_][A-Za-z0-9_]*)|\[\[([A-Za-z_][A-Za-z0-9_]*)\]\]/g)) {
    const name = match[1] ?? match[2] ?? match[3];
    if (!name.startsWith('__')) names.add(name);
  }
  return [...names];
}

// ---------------------------------------------------------------------------------------------
// What the services export

/** Metric series names and the label names seen on each, from a Prometheus text exposition. */
export interface MetricCatalogue {
  /** Series name (`duet_rpc_duration_seconds_bucket`, `duet_handsets`, ...) → label names. */
  readonly series: ReadonlyMap<string, ReadonlySet<string>>;
  /** Metric family (the `# TYPE` name) → its type. */
  readonly families: ReadonlyMap<string, string>;
}

const SERIES_SUFFIXES: Record<string, readonly string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
  counter: [''],
  gauge: [''],
  untyped: [''],
};

/**
 * Reads `# TYPE` lines (every registered metric has one, samples or not) and samples. A family
 * without samples yet (e.g. Kafka consumer lag in the embedded mode) gets its labels from
 * `declaredLabels`, what the exporting registry declares for it.
 */
export function catalogueOf(exposition: string, declaredLabels: (family: string) => readonly string[] | undefined): MetricCatalogue {
  const families = new Map<string, string>();
  const series = new Map<string, Set<string>>();
  for (const line of exposition.split('\n')) {
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$/.exec(line);
    if (type !== null) {
      families.set(type[1], type[2]);
      for (const suffix of SERIES_SUFFIXES[type[2]] ?? ['']) {
        const labels = new Set(declaredLabels(type[1]) ?? []);
        if (suffix === '_bucket') labels.add('le');
        if (type[2] === 'summary' && suffix === '') labels.add('quantile');
        series.set(`${type[1]}${suffix}`, labels);
      }
      continue;
    }
    if (line.startsWith('#') || line.trim() === '') continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s/.exec(line);
    if (sample === null) throw new Error(`not a sample line: ${line}`);
    const labels = series.get(sample[1]);
    if (labels === undefined) throw new Error(`sample of ${sample[1]} before (or without) its # TYPE line`);
    for (const label of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"/g)) labels.add(label[1]);
  }
  return { series, families };
}

// ---------------------------------------------------------------------------------------------
// PromQL

/** Labels Prometheus adds to every scraped series (deploy/prometheus/prometheus.yml adds no others). */
export const TARGET_LABELS: ReadonlySet<string> = new Set(['job', 'instance']);

/** A value for each of Grafana's interval variables, then a plain word for dashboard variables (they only appear in label values). */
export function interpolatePromQL(expression: string): string {
  return expression
    .replace(/\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}/g, '5m')
    .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, 'variable_value');
}

export interface PromQLReport {
  readonly metrics: string[];
  readonly problems: string[];
}

// Node names of lezer-promql's expressions.
const EXPRESSIONS = new Set([
  'AggregateExpr',
  'BinaryExpr',
  'FunctionCall',
  'MatrixSelector',
  'NumberDurationLiteral',
  'OffsetExpr',
  'ParenExpr',
  'StepInvariantExpr',
  'StringLiteral',
  'SubqueryExpr',
  'UnaryExpr',
  'VectorSelector',
]);
// Functions whose result carries no labels of their arguments.
const LABEL_FREE_FUNCTIONS = new Set(['vector', 'scalar', 'time', 'pi', 'absent', 'absent_over_time']);
// Aggregations that keep their input's series (and so their labels) whatever the grouping.
const SERIES_KEEPING_AGGREGATIONS = new Set(['topk', 'bottomk', 'limitk', 'limit_ratio']);

function expressionChildren(node: SyntaxNode | null): SyntaxNode[] {
  const children: SyntaxNode[] = [];
  for (let child = node?.firstChild ?? null; child !== null; child = child.nextSibling) if (EXPRESSIONS.has(child.name)) children.push(child);
  return children;
}

/**
 * Parses one PromQL expression (after interpolatePromQL) and reports every metric name it selects
 * and every problem: a syntax error, a metric the catalogue lacks, a label a matcher names that the
 * metric lacks, a by/without/on/ignoring label its operand cannot carry, or a legend label the
 * result cannot carry. Labels are followed through the expression as Prometheus computes them
 * (an aggregation keeps its `by` labels, histogram_quantile drops `le`, label_replace adds one).
 * `label_values(metric, label)` (variable queries) is read as the metric with `label` as legend.
 */
export function checkPromQL(expression: string, catalogue: MetricCatalogue, legendFormat = ''): PromQLReport {
  const labelValues = /^\s*label_values\(\s*(.+?)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$/.exec(expression);
  if (labelValues !== null) return checkPromQL(labelValues[1], catalogue, `{{${labelValues[2]}}}`);
  const problems: string[] = [];
  const metrics: string[] = [];
  const tree = parser.parse(expression);
  const text = (node: SyntaxNode) => expression.slice(node.from, node.to);
  const labelNames = (node: SyntaxNode | null) => (node === null ? [] : node.getChildren('LabelName').map(text));

  tree.iterate({
    enter(reference) {
      if (reference.type.isError)
        problems.push(`syntax error at ${reference.from}: "${expression.slice(Math.max(0, reference.from - 10), reference.to + 10)}"`);
    },
  });
  if (problems.length > 0) return { metrics, problems };

  const labelsOf = (node: SyntaxNode | undefined): Set<string> => {
    if (node === undefined) return new Set();
    const [first, second] = expressionChildren(node);
    switch (node.name) {
      case 'VectorSelector': {
        const identifier = node.getChild('Identifier');
        if (identifier === null) {
          problems.push(`a selector without a metric name: ${text(node)}`);
          return new Set();
        }
        const metric = text(identifier);
        metrics.push(metric);
        const labels = catalogue.series.get(metric);
        if (labels === undefined) {
          problems.push(`no service exports ${metric}`);
          return new Set();
        }
        for (const matcher of node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
          const name = text(matcher.getChild('LabelName')!);
          if (!labels.has(name) && !TARGET_LABELS.has(name)) problems.push(`${metric} has no label ${name}`);
        }
        return new Set([...labels, ...TARGET_LABELS]);
      }
      case 'AggregateExpr': {
        const operator = text(node.getChild('AggregateOp')!);
        const inner = labelsOf(expressionChildren(node.getChild('FunctionCallBody')).at(-1));
        const modifier = node.getChild('AggregateModifier');
        const grouping = labelNames(modifier?.getChild('GroupingLabels') ?? null);
        for (const label of grouping) if (!inner.has(label)) problems.push(`${operator} by/without ${label}, which its operand does not carry`);
        if (SERIES_KEEPING_AGGREGATIONS.has(operator)) return inner;
        if (modifier?.getChild('By')) return new Set(grouping);
        if (modifier?.getChild('Without')) return new Set([...inner].filter((label) => !grouping.includes(label)));
        return new Set();
      }
      case 'FunctionCall': {
        const name = text(node.getChild('FunctionIdentifier')!);
        const body = node.getChild('FunctionCallBody');
        const args = expressionChildren(body);
        const argumentLabels = args.map((argument) => labelsOf(argument));
        if (LABEL_FREE_FUNCTIONS.has(name)) return new Set();
        if (name === 'histogram_quantile') {
          if (!argumentLabels[1].has('le')) problems.push('histogram_quantile over series without le (buckets summed away or not a _bucket series)');
          return new Set([...argumentLabels[1]].filter((label) => label !== 'le'));
        }
        if (name === 'label_replace' || name === 'label_join') {
          // The label these write is their first string argument.
          const destination = body?.getChild('StringLiteral');
          return new Set([...argumentLabels[0], ...(destination ? [text(destination).slice(1, -1)] : [])]);
        }
        const vectorArgument = args.findIndex((argument) => argument.name !== 'NumberDurationLiteral' && argument.name !== 'StringLiteral');
        return vectorArgument < 0 ? new Set() : argumentLabels[vectorArgument];
      }
      case 'BinaryExpr': {
        const left = labelsOf(first);
        const right = labelsOf(second);
        const matching = node.getChild('MatchingModifierClause');
        for (const label of labelNames(matching?.getChild('GroupingLabels') ?? null))
          if (!left.has(label) || !right.has(label)) problems.push(`matching on ${label}, which both sides do not carry`);
        if (node.getChild('Or')) return new Set([...left, ...right]);
        if (matching?.getChild('GroupRight')) return right;
        return first.name === 'NumberDurationLiteral' ? right : left;
      }
      case 'NumberDurationLiteral':
      case 'StringLiteral':
        return new Set();
      default:
        // MatrixSelector, OffsetExpr, ParenExpr, StepInvariantExpr, SubqueryExpr, UnaryExpr.
        return labelsOf(first);
    }
  };
  const result = labelsOf(expressionChildren(tree.topNode)[0]);
  for (const match of legendFormat.matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g))
    if (!result.has(match[1])) problems.push(`the legend names ${match[1]}, which the result does not carry`);
  if (metrics.length === 0 && problems.length === 0) problems.push('selects no metric');
  return { metrics, problems };
}

// ---------------------------------------------------------------------------------------------
// SQL

/** A quoted SQL string literal, as Grafana's `${name:sqlstring}` format writes it. */
function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export interface SqlInterpolation {
  readonly variables: Readonly<Record<string, string>>;
  readonly from: Date;
  readonly to: Date;
}

/**
 * Grafana's PostgreSQL macros and variable formats used by the dashboards: $__timeFilter(column),
 * $__timeFrom(), $__timeTo(), ${name:sqlstring} and a bare $name / ${name}. Anything else that
 * looks like one is an error, so a query never reaches PostgreSQL half interpolated.
 */
export function interpolateSql(query: string, { variables, from, to }: SqlInterpolation): string {
  const value = (name: string) => {
    const found = variables[name];
    if (found === undefined) throw new Error(`no value for the dashboard variable ${name}`);
    return found;
  };
  const timestamp = (date: Date) => `'${date.toISOString()}'`;
  const interpolated = query
    .replace(/\$__timeFilter\(([^)]+)\)/g, (_, column: string) => `${column.trim()} BETWEEN ${timestamp(from)} AND ${timestamp(to)}`)
    .replace(/\$__timeFrom\(\)/g, timestamp(from))
    .replace(/\$__timeTo\(\)/g, timestamp(to))
    .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*):sqlstring\}/g, (_, name: string) => sqlString(value(name)))
    .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z][A-Za-z0-9_]*)/g, (_, braced?: string, bare?: string) => value((braced ?? bare)!));
  const leftover = /\$(__\w+|\{[^}]*\}|[A-Za-z]\w*)/.exec(interpolated);
  if (leftover !== null) throw new Error(`a macro or variable format the test does not know: ${leftover[0]}`);
  return interpolated;
}
