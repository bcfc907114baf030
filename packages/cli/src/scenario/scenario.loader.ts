import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, parse as parseYamlValue, isNode, type Document } from 'yaml';
import { z } from 'zod';
import { ValidationError, prepareRun, type SimulationConfig } from '@duet/sim-core';
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
  constructor(
    readonly file: string,
    readonly problems: readonly ScenarioProblem[],
  ) {
    super(`${file}: ${problems.length} problem(s)\n${problems.map((problem) => `  ${formatProblem(problem)}`).join('\n')}`);
    this.name = 'ScenarioError';
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
  const raw = (document.toJS() ?? {}) as Record<string, unknown>;
  const problems: ScenarioProblem[] = [];
  const overridden = new Set<string>();
  for (const assignment of overrides) {
    const equals = assignment.indexOf('=');
    if (equals <= 0) {
      problems.push({ path: assignment, rule: 'set-syntax', message: 'a --set must be path=value, e.g. fleet.handsets=500' });
      continue;
    }
    const path = assignment.slice(0, equals).trim();
    setPath(raw, path.split('.'), parseYamlValue(assignment.slice(equals + 1)));
    overridden.add(path);
  }
  const lineOf = (path: readonly PropertyKey[]) => (overridden.has(path.join('.')) ? undefined : lineAt(document, lines, path));

  const parsed = scenarioSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(fromZodIssue(issue, lineOf));
    throw new ScenarioError(file, problems);
  }
  if (problems.length > 0) throw new ScenarioError(file, problems);

  const scenario = parsed.data;
  const config = toSimulationConfig(scenario, problems, lineOf);
  if (problems.length === 0) {
    try {
      prepareRun(config); // the core's own checks: unknown groups, policy documents, handset ids
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      for (const issue of error.issues) {
        const path = scenarioPathOf(issue.path);
        problems.push({ path: path.join('.'), line: lineOf(path), rule: issue.rule, message: issue.message });
      }
    }
  }
  if (problems.length > 0) throw new ScenarioError(file, problems);
  return { file, scenario, config };
}

function toSimulationConfig(scenario: Scenario, problems: ScenarioProblem[], lineOf: (path: readonly PropertyKey[]) => number | undefined): SimulationConfig {
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
  scenario.faults.forEach((fault, i) => {
    if (ticks(fault.regionOutage.to) <= ticks(fault.regionOutage.from)) {
      problems.push({
        path: `faults.${i}.regionOutage.to`,
        line: lineOf(['faults', i, 'regionOutage', 'to']),
        rule: 'after-from',
        message: 'must be later than from',
      });
    }
  });
  return {
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
    outages: scenario.faults.map((fault) => ({
      region: fault.regionOutage.region,
      fromTick: ticks(fault.regionOutage.from),
      toTick: ticks(fault.regionOutage.to),
    })),
  };
}

/** Maps a core config path (fleet.models.0.name, policies.1.policy.x) back to the scenario file's path. */
function scenarioPathOf(corePath: string): (string | number)[] {
  const parts: (string | number)[] = corePath.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  if (parts[0] === 'outages')
    return ['faults', parts[1], 'regionOutage', ...parts.slice(2).map((part) => (part === 'fromTick' ? 'from' : part === 'toTick' ? 'to' : part))];
  if (parts[0] === 'ticks') return ['duration'];
  if (parts[0] === 'tickSeconds') return ['tick'];
  return parts;
}

function fromZodIssue(issue: z.core.$ZodIssue, lineOf: (path: readonly PropertyKey[]) => number | undefined): ScenarioProblem {
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    const path = [...issue.path, key];
    return {
      path: path.join('.'),
      line: lineOf(path),
      rule: 'unknown-key',
      message: `unknown key${issue.keys.length > 1 ? `s ${issue.keys.join(', ')}` : ` "${key}"`}`,
    };
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
              : issue.code;
  return { path: issue.path.join('.'), line: lineOf(issue.path), rule, message: issue.message };
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
