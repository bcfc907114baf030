import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { tlsCaFile } from '@duet/service-kit';
import type { RunSummary } from '@duet/sim-core';
import { DEFAULT_CONNECTIONS, type Traffic } from '../embedded/embedded-stack';
import { ExitCode } from '../exit-codes';
import { integerOption } from '../options';
import { Output } from '../output';
import { printSummary } from '../report';
import { buildLoadReport, loadReportLines, type ClientCost, type LoadReport } from '../report/load-report';
import { retainedBytes } from '../memory';
import { judgePacing, pacingOf, pacingWarning, type PacingReport } from '../report/pacing-report';
import { startMeasurementThread, type MeasurementThread } from '../report/measurement-thread';
import { measureRun, type RunMeasurement } from '../report/run-measurement';
import { buildRunReport, writeRunReport } from '../report/run-report';
import { thresholdTableLines } from '../report/threshold-table';
import { DEFAULT_CHECKPOINT_EVERY, ForkError, clearCheckpoints, fileCheckpointSink, recordCheckpointedRun } from '../fork/checkpoint-directory';
import { forkedFrom, planFork, type ForkPlan } from '../fork/fork-plan';
import type { CheckpointSink } from '../fork/run-checkpoint';
import { EmbeddedTarget, type LoadTestTarget } from '../run/embedded.target';
import { LocalTarget } from '../run/local.target';
import { runScenario } from '../run/run-scenario';
import type { RunTarget } from '../run/run-target';
import { ScenarioError, loadScenario, type LoadedScenario } from '../scenario/scenario.loader';
import { KPI_BY_NAME } from '../thresholds/kpi-registry';
import { printScenarioError } from './scenario.command';

type TargetName = 'embedded' | 'local' | 'core';

interface RunOptions {
  set: string[];
  json: boolean;
  target: TargetName;
  runId?: string;
  dataDir: string;
  out?: string;
  policyAuthority?: string;
  adminToken?: string;
  traffic?: Traffic;
  connections?: number;
  summaryExport?: string;
  httpPort?: number;
  serve: boolean;
  checkpointEvery: number;
  forkFrom?: string;
  at?: string;
}

/** What a run on the services gives besides its summary: wall-time figures the digest leaves out. */
interface ServicesRun {
  readonly summary: RunSummary;
  readonly pacing: PacingReport;
  readonly load?: LoadReport;
  /** With --serve on a terminal: the embedded target, still serving, for `run` to close after Ctrl-C. */
  readonly serving?: RunTarget;
}

const HOST_PORT = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:]+\]:\d{1,5}$/;

/** `duet run <scenario>`: runs a scenario embedded (default), on the local stack, or on the pure core; judges its thresholds. */
export function runCommand(setExitCode: (code: number) => void): Command {
  return new Command('run')
    .description(
      'run a scenario: embedded in this process (default), on the local stack of separate services, or on the pure core; exit 0 when every threshold passes, 1 when one fails, 2 on bad input or an error',
    )
    .argument('<scenario>', 'scenario YAML file, e.g. scenarios/quickstart.yaml')
    .option('--set <path=value...>', 'override a scenario value, e.g. --set fleet.handsets=500 (repeatable)', [])
    .option('--json', 'no progress or text; one JSON object on the last line', false)
    .addOption(
      new Option(
        '--target <target>',
        'where it runs: the services embedded here, the local stack, or the pure core alone (same digest, fastest); default: embedded, core with --fork-from',
      ).choices(['embedded', 'local', 'core']),
    )
    .option('--run-id <id>', 'id of the run (default: a new UUID)')
    .option('--data-dir <dir>', 'where the embedded PostgreSQL keeps its data', join(process.cwd(), '.duet', 'embedded'))
    .option('--out <dir>', 'write report.json and report.html (series over simulated time, thresholds, breakdowns) here')
    .option(
      '--policy-authority <host:port>',
      'load-test this policy authority: the business agents call its gRPC duet.policy.v1 API, and the run reports RPC latency, errors and rates (embedded target)',
    )
    .option('--admin-token <token>', 'bearer token of that policy authority’s PolicyAdminService (default: $ADMIN_TOKEN)')
    .addOption(
      new Option(
        '--traffic <traffic>',
        'with --policy-authority: one EnrollBatch/CheckInBatch per shard and tick (batched, what-if speed), or each agent its own unary Enroll and CheckIn spread within the tick (per-handset); default: the scenario’s load.traffic, else batched',
      ).choices(['batched', 'per-handset']),
    )
    .option(
      '--connections <n>',
      `HTTP/2 connections of per-handset traffic (default: the scenario’s load.connections, else ${DEFAULT_CONNECTIONS})`,
      integerOption('--connections', 1, 1024),
    )
    .option(
      '--http-port <port>',
      'embedded target: the port of its health, dashboard and /metrics (the load generator’s client-side RPC metrics for Prometheus to scrape; default: a free one)',
      integerOption('--http-port', 1, 65_535),
    )
    .option('--summary-export <file>', 'also write the end-of-test summary (load figures, divergences, thresholds) as JSON to this file')
    .option(
      '--checkpoint-every <ticks>',
      `with --out: keep a checkpoint of the run every TICKS ticks in DIR/checkpoints, to fork from (0: none)`,
      integerOption('--checkpoint-every', 0),
      DEFAULT_CHECKPOINT_EVERY,
    )
    .option('--fork-from <dir>', 'start from the checkpoints of an earlier run (its --out DIR) instead of tick 0: needs --at; runs on the core')
    .option(
      '--at <time>',
      'with --fork-from: the fork point, a time of day (08:00), a duration from the start (8h) or a tick; the scenario must equal the earlier run’s until then',
    )
    .option('--serve', 'on a terminal, keep the embedded services and their dashboard up after the run until Ctrl-C', false)
    .action(async (file: string, options: Omit<RunOptions, 'target'> & { target?: TargetName }) =>
      setExitCode(
        await run(file, {
          ...options,
          target: options.target ?? (options.forkFrom === undefined ? 'embedded' : 'core'),
          adminToken: options.adminToken ?? process.env.ADMIN_TOKEN,
        }),
      ),
    );
}

async function run(file: string, options: RunOptions): Promise<number> {
  const output = new Output(options.json);
  let loaded: LoadedScenario;
  try {
    loaded = loadScenario(file, options.set);
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    printScenarioError(output, error);
    return ExitCode.BAD_INPUT;
  }
  const { scenario, config } = loaded;
  const problem = targetProblem(loaded, options) ?? forkProblem(options);
  if (problem !== undefined) {
    output.error(`duet: ${problem}`);
    return ExitCode.BAD_INPUT;
  }
  let fork: ForkPlan | undefined;
  if (options.forkFrom !== undefined) {
    try {
      fork = planFork(options.forkFrom, options.at!, config);
    } catch (error) {
      if (!(error instanceof ForkError)) throw error;
      output.error(`duet: ${error.message}`);
      return ExitCode.BAD_INPUT;
    }
  }
  if (options.out !== undefined) {
    try {
      mkdirSync(options.out, { recursive: true });
    } catch (error) {
      output.error(`duet: --out ${options.out}: ${(error as Error).message}`);
      return ExitCode.BAD_INPUT;
    }
  }
  const runId = options.runId ?? randomUUID();
  const startedAt = performance.now();
  output.line(
    `run ${runId}: ${scenario.name}, ${config.fleet.handsets.toLocaleString('en-US')} handsets, ${config.ticks} ticks, ${config.shards} shards, target ${options.target}`,
  );
  const forked = fork === undefined ? undefined : forkedFrom(fork, config);
  if (forked !== undefined)
    output.line(
      `forked from  ${forked.dir} (run ${forked.runId}) at ${forked.atTime} (tick ${forked.atTick}), from its checkpoint at tick ${forked.checkpointTick}`,
    );
  const checkpointing = options.out !== undefined && options.checkpointEvery > 0;
  if (options.out !== undefined) clearCheckpoints(options.out, checkpointing);

  // Reports and series KPIs come from the core's measurement of the run (report/run-measurement.ts);
  // on a service target it runs beside the services and must reproduce their digest.
  const needsMeasurement = options.out !== undefined || Object.keys(scenario.thresholds).some((name) => KPI_BY_NAME.get(name)?.source === 'series');
  let summary: RunSummary;
  let measurement: RunMeasurement | undefined;
  let pacing: PacingReport | undefined;
  let load: LoadReport | undefined;
  let serving: RunTarget | undefined;
  if (options.target === 'core') {
    const checkpoints = checkpointing ? fileCheckpointSink(options.out!, options.checkpointEvery) : undefined;
    measurement = measureWithProgress(output, loaded, scenario.name, checkpoints, fork);
    summary = measurement.summary;
  } else {
    // The measurement runs on a worker thread while the services run: they are independent until
    // their digests are compared.
    const measuring = needsMeasurement
      ? startMeasurementThread(config, checkpointing ? { dir: options.out!, every: options.checkpointEvery } : undefined)
      : undefined;
    const outcome = await runOnServices(output, loaded, runId, options);
    if (typeof outcome === 'number') {
      await measuring?.cancel();
      return outcome;
    }
    ({ summary, pacing, load } = outcome);
    serving = outcome.serving;
    if (measuring !== undefined) {
      try {
        measurement = await awaitMeasurement(output, measuring, config.ticks);
      } catch (error) {
        output.error(`duet: run ${runId}: ${(error as Error).message}; no report written`);
        await serving?.close();
        return ExitCode.BAD_INPUT;
      }
      if (measurement.summary.digest !== summary.digest) {
        if ((load?.divergences.total ?? 0) === 0) {
          output.error(`duet: run ${runId}: the services' digest ${summary.digest} differs from the core's ${measurement.summary.digest}; no report written`);
          await serving?.close();
          return ExitCode.BAD_INPUT;
        }
        // Server-authoritative: the run followed the server's answers where they diverged, so its
        // digest is not the reference model's; the divergences say why.
        output.error(
          `duet: run ${runId}: ${load!.divergences.total} answers of the policy authority diverged from the reference model; the run followed the server`,
        );
      }
    }
  }
  const wallSeconds = Math.round(((performance.now() - startedAt) / 1000) * 1000) / 1000;
  const report = buildRunReport({
    scenario: { name: scenario.name, description: scenario.description, file, overrides: options.set },
    run: { id: runId, target: options.target, wallSeconds },
    config,
    thresholds: scenario.thresholds,
    summary,
    measurement,
    pacing,
    load,
    forkedFrom: forked,
  });
  if (checkpointing && measurement !== undefined)
    recordCheckpointedRun(options.out!, { runId, scenario: scenario.name, digest: summary.digest, every: options.checkpointEvery, config });
  printSummary(output, summary);
  output.line(`wall time    ${wallSeconds.toFixed(1)} s`);
  if (pacing?.mode === 'real-time')
    output.line(
      `pacing       real time ×${pacing.speedFactor}, tick lag p50 ${pacing.lag!.p50Ms} ms, p99 ${pacing.lag!.p99Ms} ms, max ${pacing.lag!.maxMs} ms: ${pacing.keptPace ? 'kept pace' : 'LOST PACE'}`,
    );
  for (const line of load === undefined ? [] : loadReportLines(load)) output.line(line);
  const warning = pacing === undefined ? undefined : pacingWarning(pacing);
  // On stderr, so it shows with --json too.
  if (warning !== undefined) output.error(`duet: run ${runId}: ${warning}`);
  for (const line of thresholdTableLines(report.thresholds)) output.line(line);
  const paths = options.out === undefined ? undefined : writeRunReport(options.out, report);
  if (paths !== undefined) output.line(`report       ${paths.html}`);
  if (options.summaryExport !== undefined) {
    writeSummaryExport(options.summaryExport, { runId, scenario: scenario.name, passed: report.passed, thresholds: report.thresholds, pacing, load });
    output.line(`summary      ${options.summaryExport}`);
  }
  output.result({
    runId,
    scenario: scenario.name,
    target: options.target,
    phase: 'COMPLETED',
    digest: summary.digest,
    handsets: summary.handsets,
    ticks: summary.ticks,
    shards: summary.shards,
    seed: summary.seed,
    wallSeconds,
    kpis: summary.kpis,
    passed: report.passed,
    thresholds: report.thresholds,
    pacing,
    load,
    divergences: load?.divergences,
    forkedFrom: forked,
    report: paths,
  });
  if (serving !== undefined) await serveUntilInterrupted(output, serving);
  return report.passed ? ExitCode.OK : ExitCode.THRESHOLDS_FAILED;
}

function clientCost(baseline: { bytes: number; cpu: NodeJS.CpuUsage }, handsets: number): ClientCost {
  const cpu = process.cpuUsage(baseline.cpu);
  return {
    cpuSeconds: Math.round((cpu.user + cpu.system) / 1e3) / 1e3,
    retainedBytesPerHandset: Math.round((retainedBytes() - baseline.bytes) / Math.max(handsets, 1)),
  };
}

/** --traffic, else the scenario's load.traffic. */
function trafficOf(loaded: LoadedScenario, options: RunOptions): Traffic {
  return options.traffic ?? loaded.scenario.load.traffic;
}

/**
 * The machine-readable end-of-test summary (k6's --summary-export): what a CI job reads to judge a
 * load test without parsing the terminal.
 */
function writeSummaryExport(file: string, summary: Record<string, unknown>): void {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
}

/** Keeps the embedded services (and the dashboard) up until Ctrl-C, then stops them. */
async function serveUntilInterrupted(output: Output, target: RunTarget): Promise<void> {
  output.line(`serving      the dashboard stays at ${target.addresses.dashboard} until you press Ctrl-C`);
  await new Promise<void>((resolveInterrupt) => {
    process.once('SIGINT', () => resolveInterrupt());
    process.once('SIGTERM', () => resolveInterrupt());
  });
  output.line('stopping the embedded services');
  await target.close();
}

/** Why the run cannot go on the chosen target as asked; undefined when it can. */
function targetProblem(loaded: LoadedScenario, options: RunOptions): string | undefined {
  const loadKpis = Object.keys(loaded.scenario.thresholds).filter((name) => KPI_BY_NAME.get(name)?.source === 'load');
  if (options.target !== 'embedded' && loadKpis.length > 0)
    return (
      `thresholds.${loadKpis[0]}: ${loadKpis.join(', ')} ${loadKpis.length === 1 ? 'is a load KPI' : 'are load KPIs'}, measured only on the embedded target, ` +
      `where the business agents run in this process (the ${options.target} target ${options.target === 'core' ? 'makes no policy calls' : 'runs them in other processes'}): ` +
      'drop --target or the threshold'
    );
  if (options.target === 'core' && pacingOf(loaded.config).mode === 'real-time')
    return 'pacing.mode real-time: the core target runs as fast as possible and has no wall-clock schedule to keep; run on the services (the default embedded target, or --target local), or --set pacing.mode=as-fast-as-possible';
  if (options.policyAuthority === undefined && (options.traffic === 'per-handset' || options.connections !== undefined))
    return `${options.traffic === 'per-handset' ? '--traffic per-handset' : '--connections'} shapes the calls to a policy authority under test: add --policy-authority HOST:PORT`;
  if (options.policyAuthority !== undefined) {
    if (options.target !== 'embedded')
      return `--policy-authority works with the embedded target (its business agents call the server under test); the ${options.target} target has its own policy authority`;
    if (!HOST_PORT.test(options.policyAuthority)) return `--policy-authority ${options.policyAuthority}: must be HOST:PORT, e.g. 127.0.0.1:50053`;
    if (!options.adminToken) return '--policy-authority needs the server’s admin token: --admin-token TOKEN or ADMIN_TOKEN in the environment';
  }
  return undefined;
}

/** Why --fork-from, --at or --checkpoint-every cannot go as asked; undefined when they can. */
function forkProblem(options: RunOptions): string | undefined {
  if ((options.forkFrom === undefined) !== (options.at === undefined))
    return options.forkFrom === undefined ? '--at needs --fork-from DIR (the run to fork)' : '--fork-from needs --at TIME (the fork point, e.g. 08:00 or 8h)';
  if (options.forkFrom === undefined) return undefined;
  if (options.target !== 'core')
    return `--fork-from continues the core's state from a checkpoint; the ${options.target} target's services start at tick 0: drop --target or use --target core`;
  if (options.out !== undefined && resolve(options.out) === resolve(options.forkFrom))
    return `--out ${options.out}: must differ from --fork-from (the fork would replace the checkpoints it starts from)`;
  return undefined;
}

/** Runs on the embedded or local services; their summary and wall-time figures, or the exit code of a failure. */
async function runOnServices(output: Output, loaded: LoadedScenario, runId: string, options: RunOptions): Promise<ServicesRun | number> {
  const { scenario, config } = loaded;
  const startedAt = performance.now();
  let target: RunTarget;
  const loadTest: LoadTestTarget | undefined =
    options.policyAuthority === undefined
      ? undefined
      : {
          policyAuthority: options.policyAuthority,
          adminToken: options.adminToken!,
          traffic: trafficOf(loaded, options),
          connections: options.connections ?? scenario.load.connections,
          caFile: tlsCaFile(),
        };
  try {
    target = options.target === 'embedded' ? await EmbeddedTarget.start(options.dataDir, options.httpPort, loadTest) : await LocalTarget.connect();
  } catch (error) {
    output.error(`duet: cannot start the ${options.target} target: ${(error as Error).message}`);
    return ExitCode.BAD_INPUT;
  }
  for (const [name, address] of Object.entries(target.addresses)) output.line(`  ${name.padEnd(9)} ${address}`);
  // What the load generator itself costs: this process's CPU over the run, and what the run keeps
  // in memory per handset at its end (after a full GC, over what the started stack held before).
  const clientBaseline = loadTest === undefined ? undefined : { bytes: retainedBytes(), cpu: process.cpuUsage() };
  const progress = output.progress(config.ticks, scenario.name);
  const paced = pacingOf(config).mode === 'real-time';
  let firstTickAt: number | undefined;
  let keepServing = false;
  try {
    const outcome = await runScenario(target, { runId, scenario: scenario.name, config }, (state) => {
      if (state.ticksCompleted > 0) firstTickAt ??= performance.now();
      const seconds = (performance.now() - startedAt) / 1000;
      const rate = `${Math.round(state.events / Math.max(seconds, 0.001)).toLocaleString('en-US')} events/s`;
      const lag = paced ? ` | lag ${Math.round(state.lagMilliseconds).toLocaleString('en-US')} ms` : '';
      progress.update(state.ticksCompleted, { rate: `${state.handsetsOnline.toLocaleString('en-US')} online | ${rate}${lag}` });
    });
    progress.stop();
    if (outcome.phase === 'FAILED' || outcome.summary === undefined) {
      output.error(`duet: run ${runId} failed: ${outcome.failure ?? 'no summary recorded'}`);
      output.result({ runId, scenario: scenario.name, target: options.target, phase: 'FAILED', failure: outcome.failure });
      return ExitCode.BAD_INPUT;
    }
    output.line(
      `services     ${((performance.now() - startedAt) / 1000).toFixed(1)} s (first tick after ${(((firstTickAt ?? performance.now()) - startedAt) / 1000).toFixed(1)} s)`,
    );
    const pacing = judgePacing(pacingOf(config), config.tickSeconds, outcome.tickLagsMilliseconds);
    const figures = target instanceof EmbeddedTarget ? target.policyFigures(runId) : undefined;
    const load =
      figures === undefined
        ? undefined
        : buildLoadReport({
            policyAuthority: options.policyAuthority ?? 'embedded',
            traffic: loadTest?.traffic ?? 'batched',
            figures,
            pacing,
            ticks: config.ticks,
            tickWallSeconds: outcome.tickWallSeconds,
            client: clientBaseline === undefined ? undefined : clientCost(clientBaseline, config.fleet.handsets),
          });
    keepServing = options.serve && options.target === 'embedded' && process.stdout.isTTY === true && !options.json;
    return { summary: outcome.summary, pacing, load, serving: keepServing ? target : undefined };
  } finally {
    progress.stop();
    if (!keepServing) await target.close();
  }
}

/** The measurement thread's result, with a progress bar for the ticks it still has to go once the services are done. */
async function awaitMeasurement(output: Output, measuring: MeasurementThread, ticks: number): Promise<RunMeasurement> {
  const progress = output.progress(ticks, 'measuring');
  progress.update(measuring.ticks);
  measuring.onProgress((done) => progress.update(done));
  try {
    return await measuring.result;
  } finally {
    progress.stop();
  }
}

function measureWithProgress(output: Output, loaded: LoadedScenario, label: string, checkpoints?: CheckpointSink, fork?: ForkPlan): RunMeasurement {
  const { config } = loaded;
  const progress = output.progress(config.ticks, label);
  const startedAt = performance.now();
  let lastUpdate = 0;
  try {
    const firstTick = fork?.checkpointTick ?? 0;
    return measureRun(
      config,
      (kpis) => {
        const now = performance.now();
        if (now - lastUpdate < 200 && kpis.tick !== config.ticks - 1) return;
        lastUpdate = now;
        const rate = ((kpis.tick + 1 - firstTick) * config.fleet.handsets) / Math.max((now - startedAt) / 1000, 0.001);
        progress.update(kpis.tick + 1, { rate: `${(rate / 1e6).toFixed(2)}M handset-ticks/s` });
      },
      { checkpoints, resume: fork?.resume },
    );
  } finally {
    progress.stop();
  }
}
