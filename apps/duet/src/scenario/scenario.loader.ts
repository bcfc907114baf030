import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, parse as parseYamlValue, isNode, type Document } from 'yaml';
import { z } from 'zod';
import {
  CATALOGUE,
  ValidationError,
  prepareRun,
  type OutageSpec,
  type PowerLossSpec,
  type RampStageSpec,
  type ServiceRestartSpec,
  type SimulationConfig,
  type AgentCadenceSpec,
} from '@duet/sim-core';
import { KPI_BY_NAME, KPI_REGISTRY_NAMES } from '../thresholds/kpi-registry';
import { expressionProblem, parseThresholdExpression } from '../thresholds/threshold';
import { durationSeconds, toTicks } from './duration';
import { scenarioSchema, type Scenario } from './scenario.schema';

/** One problem in a scenario: where (path and line) and what. */
export interface ScenarioProblem {
  readonly path: string;
  readonly line?: number;
  readonly rule: string;
  readonly message: string;
}

export class ScenarioError extends Error {
  readonly problems: readonly ScenarioProblem[];

  constructor(
    readonly file: string,
    problems: readonly ScenarioProblem[],
  ) {
    // In file order; problems without a line (e.g. from --set) last.
    problems = [...problems].sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER));
    super(`${file}: ${problems.length} problem(s)\n${problems.map((problem) => `  ${formatProblem(problem)}`).join('\n')}`);
    this.name = 'ScenarioError';
    this.problems = problems;
  }
}

export function formatProblem(problem: ScenarioProblem): string {
  return `${problem.path || '(root)'}${problem.line === undefined ? '' : ` (line ${problem.line})`}: ${problem.message} [${problem.rule}]`;
}

export interface LoadedScenario {
  readonly file: string;
  readonly scenario: Scenario;
  readonly config: SimulationConfig;
}

/**
 * Reads, overrides (`--set path=value`), validates and resolves a scenario file. Every problem is
 * reported at once, with its path and line; nothing runs when there is one.
 */
export function loadScenario(file: string, overrides: readonly string[] = []): LoadedScenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ScenarioError(file, [{ path: '', rule: 'readable', message: (error as Error).message }]);
  }
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (document.errors.length > 0) {
    throw new ScenarioError(
      file,
      document.errors.map((error) => ({ path: '', line: error.linePos?.[0].line, rule: 'yaml', message: error.message.split('\n')[0] })),
    );
  }
  const raw = scenarioValue(file, document);
  const problems: ScenarioProblem[] = [];
  const overridden = new Set<string>();
  for (const assignment of overrides) {
    const equals = assignment.indexOf('=');
    if (equals <= 0) {
      problems.push({ path: assignment, rule: 'set-syntax', message: 'a --set must be path=value, e.g. fleet.handsets=500' });
      continue;
    }
    const path = assignment.slice(0, equals).trim();
    setPath(raw, path.split('.'), overrideValue(assignment.slice(equals + 1)));
    overridden.add(path);
  }
  const lineOf = (path: readonly PropertyKey[]) => (overridden.has(path.join('.')) ? undefined : lineAt(document, lines, path));

  const parsed = scenarioSchema.safeParse(raw, { reportInput: true });
  // Threshold rules that span fields are checked on the raw input, so they are listed with the schema's problems.
  checkThresholds(raw, problems, lineOf);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(...fromZodIssue(issue, lineOf));
    throw new ScenarioError(file, problems);
  }
  if (problems.length > 0) throw new ScenarioError(file, problems);

  // Thresholds in the file's order (the schema's object would list them in registry order).
  const thresholdOrder = Object.keys(raw.thresholds ?? {});
  const scenario: Scenario = { ...parsed.data, thresholds: Object.fromEntries(thresholdOrder.map((name) => [name, parsed.data.thresholds[name]])) };
  const { config, sources } = toSimulationConfig(scenario, problems, lineOf);
  if (problems.length === 0) {
    try {
      prepareRun(config); // the core's own checks: unknown groups, policy documents, handset ids
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      for (const issue of error.issues) {
        const path = scenarioPathOf(issue.path, sources);
        problems.push({ path: path.join('.'), line: lineOf(path), rule: issue.rule, message: issue.message });
      }
    }
  }
  if (problems.length > 0) throw new ScenarioError(file, problems);
  return { file, scenario, config };
}

type LineOf = (path: readonly PropertyKey[]) => number | undefined;

/**
 * Bounds with `%` only on KPIs that have a whole; KPIs about a policy push or an outage only where
 * the scenario has one. Reads the raw input and skips what the schema reports (unknown KPIs, bad syntax).
 */
function checkThresholds(raw: Record<string, unknown>, problems: ScenarioProblem[], lineOf: LineOf): void {
  const thresholds = raw.thresholds;
  if (typeof thresholds !== 'object' || thresholds === null) return;
  const count = (value: unknown) => (Array.isArray(value) ? value.length : 0);
  for (const [name, value] of Object.entries(thresholds)) {
    const kpi = KPI_BY_NAME.get(name);
    if (kpi === undefined) continue;
    const path = ['thresholds', name];
    if (kpi.requires === 'policy' && count(raw.policies) === 0)
      problems.push({
        path: path.join('.'),
        line: lineOf(path),
        rule: 'needs-policy',
        message: `${name} measures a policy push; the scenario has no policies`,
      });
    if (kpi.requires === 'outage' && count(raw.faults) === 0)
      problems.push({ path: path.join('.'), line: lineOf(path), rule: 'needs-fault', message: `${name} measures an outage; the scenario has no faults` });
    const expressions: unknown[] = Array.isArray(value) ? value : [value];
    expressions.forEach((expression, i) => {
      if (typeof expression !== 'string' || parseThresholdExpression(expression) === undefined) return;
      const problem = expressionProblem(kpi, expression);
      const at = Array.isArray(value) ? [...path, i] : path;
      if (problem !== undefined) problems.push({ path: at.join('.'), line: lineOf(at), rule: 'unit', message: problem });
    });
  }
}

function toSimulationConfig(scenario: Scenario, problems: ScenarioProblem[], lineOf: LineOf): { config: SimulationConfig; sources: ConfigSources } {
  const tickSeconds = durationSeconds(scenario.tick)!;
  if (!Number.isInteger(tickSeconds) || tickSeconds < 1 || tickSeconds > 3600) {
    problems.push({ path: 'tick', line: lineOf(['tick']), rule: 'range', message: `must be a whole number of seconds in 1s..1h, got ${scenario.tick}` });
  }
  const ticks = (value: number | string) => toTicks(value, tickSeconds);
  const totalTicks = ticks(scenario.duration);
  if (totalTicks < 1) problems.push({ path: 'duration', line: lineOf(['duration']), rule: 'min', message: `must last at least one tick (${scenario.tick})` });
  const [hours, minutes] = scenario.start.split(':').map(Number);
  const fleet = scenario.fleet;
  const weighted = (record: Partial<Record<string, number>> | undefined) =>
    record === undefined ? undefined : Object.entries(record).map(([name, weight]) => ({ name, weight: weight ?? 0 }));
  // A policy-authority outage is an outage of every region: agents cannot reach the authority from anywhere.
  const regionNames = fleet.regions === undefined ? ['default'] : Object.keys(fleet.regions);
  const outages: OutageSpec[] = [];
  const powerLosses: PowerLossSpec[] = [];
  const serviceRestarts: ServiceRestartSpec[] = [];
  const sources: ConfigSources = { outages: [], powerLosses: [], serviceRestarts: [] };
  scenario.faults.forEach((fault, i) => {
    if (fault.powerLoss !== undefined) {
      const { handsets, region, group, from, to } = fault.powerLoss;
      const amount = typeof handsets === 'number' ? { handsets } : { percent: Number(handsets.slice(0, -1)) };
      if (ticks(to) <= ticks(from)) {
        const path = ['faults', i, 'powerLoss', 'to'];
        problems.push({ path: path.join('.'), line: lineOf(path), rule: 'after-from', message: 'must be later than from' });
      }
      powerLosses.push({ ...amount, region, group, fromTick: ticks(from), toTick: ticks(to) });
      sources.powerLosses.push(['faults', i, 'powerLoss']);
      return;
    }
    if (fault.serviceRestart !== undefined) {
      const { service, at, downFor } = fault.serviceRestart;
      serviceRestarts.push({ service, tick: ticks(at), downTicks: ticks(downFor) });
      sources.serviceRestarts.push(['faults', i, 'serviceRestart']);
      return;
    }
    const kind = fault.regionOutage !== undefined ? 'regionOutage' : 'policyAuthorityOutage';
    const window = (fault.regionOutage ?? fault.policyAuthorityOutage)!;
    const fromTick = ticks(window.from);
    const toTick = ticks(window.to);
    if (toTick <= fromTick) {
      const path = ['faults', i, kind, 'to'];
      problems.push({ path: path.join('.'), line: lineOf(path), rule: 'after-from', message: 'must be later than from' });
    }
    for (const region of fault.regionOutage !== undefined ? [fault.regionOutage.region] : regionNames) {
      outages.push({ region, fromTick, toTick });
      sources.outages.push(['faults', i, kind]);
    }
  });
  const config: SimulationConfig = {
    seed: scenario.seed,
    ticks: totalTicks,
    shards: scenario.shards,
    tickSeconds,
    startMinuteOfDay: hours * 60 + minutes,
    fleet: {
      handsets: fleet.handsets,
      models: weighted(fleet.models),
      regions: weighted(fleet.regions),
      groups: weighted(fleet.groups),
      personalIntensity: fleet.workload?.personal,
      businessIntensity: fleet.workload?.business,
      enrollmentWindowMinutes: fleet.enrollmentWindow === undefined ? undefined : Math.floor(durationSeconds(fleet.enrollmentWindow)! / 60),
    },
    policies: scenario.policies.map((entry) => ({ tick: ticks(entry.at), groups: entry.groups, policy: entry.policy })),
    commands: scenario.commands.map((command) => ({ tick: ticks(command.at), handsets: command.handsets, type: command.type })),
    outages,
    ramp: scenario.ramp?.map((stage, i) => rampStage(stage, i, fleet.handsets, ticks, problems, lineOf)),
    powerLosses,
    serviceRestarts,
    agents: agentCadence(scenario.agents),
    pacing: scenario.pacing.mode === 'real-time' ? { mode: 'real-time', speedFactor: scenario.pacing.speedFactor } : { mode: 'as-fast-as-possible' },
  };
  return { config, sources };
}

/** The scenario's `agents` section in the core's minutes and percent; absent fields keep the core's defaults. */
function agentCadence(agents: Scenario['agents']): AgentCadenceSpec | undefined {
  if (agents === undefined) return undefined;
  const minutes = (value: string | undefined) => (value === undefined ? undefined : durationSeconds(value)! / 60);
  return {
    checkInPhases: agents.checkInPhases?.map((phase) => ({ everyMinutes: minutes(phase.every)!, forMinutes: minutes(phase.for)! })),
    jitterPercent: agents.jitter === undefined ? undefined : Number(agents.jitter.slice(0, -1)),
    backoffFirstMinutes: minutes(agents.backoff?.first),
    backoffMaxMinutes: minutes(agents.backoff?.max),
  };
}

/** A ramp stage in ticks and handsets; a percent target is of fleet.handsets, rounded. */
function rampStage(
  stage: NonNullable<Scenario['ramp']>[number],
  i: number,
  handsets: number,
  ticks: (value: number | string) => number,
  problems: ScenarioProblem[],
  lineOf: LineOf,
): RampStageSpec {
  const target = stage.target;
  if (typeof target === 'number') return { ticks: ticks(stage.duration), handsets: target };
  const share = Number(target.slice(0, -1));
  if (share > 100) {
    const path = ['ramp', i, 'target'];
    problems.push({ path: path.join('.'), line: lineOf(path), rule: 'max', message: `must be at most 100% of the fleet, got ${target}` });
  }
  return { ticks: ticks(stage.duration), handsets: Math.round((handsets * Math.min(share, 100)) / 100) };
}

/** For each fault list of the core's config, the scenario path of each entry. */
interface ConfigSources {
  readonly outages: (string | number)[][];
  readonly powerLosses: (string | number)[][];
  readonly serviceRestarts: (string | number)[][];
}

// Core field names that the scenario spells otherwise.
const SCENARIO_FIELD: Record<string, string> = { fromTick: 'from', toTick: 'to', percent: 'handsets', tick: 'at', downTicks: 'downFor' };
const RAMP_FIELD: Record<string, string> = { ticks: 'duration', handsets: 'target' };
const AGENTS_PATH: Record<string, string[]> = {
  everyMinutes: ['every'],
  forMinutes: ['for'],
  jitterPercent: ['jitter'],
  backoffFirstMinutes: ['backoff', 'first'],
  backoffMaxMinutes: ['backoff', 'max'],
};

/** Maps a core config path (fleet.models.0.name, policies.1.policy.x, outages.2.region, ramp.0.handsets) back to the scenario file's path. */
function scenarioPathOf(corePath: string, sources: ConfigSources): (string | number)[] {
  const parts: (string | number)[] = corePath.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  const list = parts[0] === 'outages' || parts[0] === 'powerLosses' || parts[0] === 'serviceRestarts' ? sources[parts[0]] : undefined;
  if (list !== undefined && list[parts[1] as number] !== undefined)
    return [...list[parts[1] as number], ...parts.slice(2).map((part) => SCENARIO_FIELD[part] ?? part)];
  if (parts[0] === 'ramp') return parts.map((part, k) => (k === 2 ? (RAMP_FIELD[part] ?? part) : part));
  if (parts[0] === 'agents') return parts.flatMap((part) => AGENTS_PATH[part] ?? [part]);
  if (parts[0] === 'ticks') return ['duration'];
  if (parts[0] === 'tickSeconds') return ['tick'];
  return parts;
}

const MODEL_NAMES = CATALOGUE.map((model) => model.name).join(', ');

/** One problem per zod issue, and one per unknown key (each has its own line). */
function fromZodIssue(issue: z.core.$ZodIssue, lineOf: LineOf): ScenarioProblem[] {
  if (issue.code === 'unrecognized_keys') {
    const parent = issue.path.join('.');
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      const problem = { path: path.join('.'), line: lineOf(path) };
      if (parent === 'fleet.models') return { ...problem, rule: 'unknown-model', message: `unknown model "${key}"; the catalogue has: ${MODEL_NAMES}` };
      if (parent === 'thresholds') return { ...problem, rule: 'unknown-kpi', message: `unknown KPI "${key}"; known: ${KPI_REGISTRY_NAMES.join(', ')}` };
      return { ...problem, rule: 'unknown-key', message: `unknown key "${key}"` };
    });
  }
  const rule =
    issue.code === 'invalid_type'
      ? issue.input === undefined
        ? 'required'
        : 'type'
      : issue.code === 'too_small'
        ? 'min'
        : issue.code === 'too_big'
          ? 'max'
          : issue.code === 'invalid_value'
            ? 'enum'
            : issue.code === 'invalid_format'
              ? 'format'
              : issue.code === 'custom'
                ? String(issue.params?.rule ?? 'custom')
                : issue.code;
  return [{ path: issue.path.join('.'), line: lineOf(issue.path), rule, message: issue.message }];
}

/** 1-based line of the node at `path`, or of its nearest ancestor that exists. */
function lineAt(document: Document, lines: LineCounter, path: readonly PropertyKey[]): number | undefined {
  for (let length = path.length; length >= 0; length--) {
    const node = document.getIn(path.slice(0, length) as (string | number)[], true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
    // A map key whose value is null has no value node: find the key itself.
    if (length > 0) {
      const parent = document.getIn(path.slice(0, length - 1) as (string | number)[], true) as
        { items?: { key: { value?: unknown; range?: [number, number, number] } }[] } | undefined;
      const pair = parent?.items?.find((item) => item.key?.value === path[length - 1]);
      if (pair?.key?.range) return lines.linePos(pair.key.range[0]).line;
    }
  }
  return undefined;
}

/**
 * The document as plain values. The yaml library refuses to expand aliases past a limit (an alias
 * bomb: a few lines that expand to billions of nodes) by throwing; that is a problem of the file.
 */
function scenarioValue(file: string, document: Document): Record<string, unknown> {
  try {
    return (document.toJS() ?? {}) as Record<string, unknown>;
  } catch (error) {
    throw new ScenarioError(file, [{ path: '', rule: 'yaml', message: (error as Error).message }]);
  }
}

/** A --set value as YAML (`500`, `[sales]`, `{a: 1}`), or as plain text when it is not YAML (`> 0.95`). */
function overrideValue(text: string): unknown {
  try {
    return parseYamlValue(text);
  } catch {
    return text;
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node: Record<string, unknown> | unknown[] = target;
  path.forEach((key, i) => {
    const index = Array.isArray(node) && /^\d+$/.test(key) ? Number(key) : key;
    if (i === path.length - 1) {
      (node as Record<string | number, unknown>)[index] = value;
      return;
    }
    const next = (node as Record<string | number, unknown>)[index];
    if (typeof next !== 'object' || next === null) (node as Record<string | number, unknown>)[index] = /^\d+$/.test(path[i + 1]) ? [] : {};
    node = (node as Record<string | number, unknown[] | Record<string, unknown>>)[index];
  });
}
