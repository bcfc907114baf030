import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { defaultLog, findRepoRoot, quietLog } from '@duet/stack';
import { ExitCode } from '../exit-codes';
import { integerOption } from '../options';
import { Output } from '../output';
import {
  DEFAULT_READY_TIMEOUT_MS,
  STACK_PART_NAMES,
  stackDown,
  stackLogs,
  stackStatus,
  stackUp,
  type StackPart,
  type StackPartName,
} from '../stack/local-stack';

// `duet stack status` exits 1 when a part is not running or not ready (0 when all are).
const STACK_NOT_UP = 1;

interface StackOptions {
  dir?: string;
  json: boolean;
}

/** `duet stack up|down|status|logs`: the local stack of separate service processes (docs/design.md#modes). */
export function stackCommand(setExitCode: (code: number) => void): Command {
  const stack = new Command('stack').description('the local stack: Kafka, PostgreSQL and the four services as separate processes on 127.0.0.1');
  const dirOption = ['--dir <dir>', 'the stack dir: data, logs, pid files, stack.env (default <repo>/.duet/stack)'] as const;

  stack
    .command('up')
    .description('start Kafka, PostgreSQL, the topics and every service (adopting what already runs), wait until all are ready')
    .option(...dirOption)
    .option('--base-port <port>', 'use ports <port>..<port>+10 instead of the defaults of .env.example', integerOption('--base-port', 1, 65_525))
    .option(
      '--replicas <n>',
      'instances of hypervisor-core and of each persona runtime; they share the shards through Kafka consumer groups (default: as the last up, else 1)',
      integerOption('--replicas', 1, 16),
    )
    .option('--timeout <seconds>', 'time each part may take to become ready', integerOption('--timeout', 1, 3600), DEFAULT_READY_TIMEOUT_MS / 1000)
    .option('--json', 'no progress or text; one JSON object on the last line', false)
    .action(async (options: StackOptions & { basePort?: number; replicas?: number; timeout: number }) => {
      const output = new Output(options.json);
      try {
        const result = await stackUp({
          dir: stackDir(options),
          basePort: options.basePort,
          replicas: options.replicas,
          readyTimeoutMs: options.timeout * 1000,
          log: options.json ? quietLog : defaultLog,
        });
        output.line(`local stack ready in ${result.seconds.toFixed(1)} s (${result.dir})`);
        printParts(output, result.parts);
        output.line();
        output.line('use it from a shell (or `source` the file):');
        output.line(
          `  export ${Object.entries(result.environment)
            .map(([name, value]) => `${name}=${value}`)
            .join(' ')}`,
        );
        output.line(`  source ${result.environmentFile}`);
        output.result({ ok: true, ...result });
        setExitCode(ExitCode.OK);
      } catch (error) {
        output.error(`duet stack up: ${(error as Error).message}`);
        output.result({ ok: false, error: (error as Error).message });
        setExitCode(ExitCode.BAD_INPUT);
      }
    });

  stack
    .command('down')
    .description('stop every service, Kafka and PostgreSQL of the stack dir')
    .option(...dirOption)
    .option('--purge', 'also delete the stack dir (data, logs, token)', false)
    .option('--json', 'one JSON object on the last line', false)
    .action(async (options: StackOptions & { purge: boolean }) => {
      const output = new Output(options.json);
      const result = await stackDown({ dir: stackDir(options), purge: options.purge, log: options.json ? quietLog : defaultLog });
      if (result.stopped.length === 0) output.line(`nothing of the stack in ${result.dir} was running`);
      else output.line(`stopped ${result.stopped.map((part) => part.name).join(', ')} in ${result.seconds.toFixed(1)} s`);
      for (const part of result.stillRunning) output.error(`duet stack down: ${part.name} (pid ${part.pid}) is still running`);
      if (result.portsStillOpen.length > 0)
        output.error(`duet stack down: something still listens on 127.0.0.1:${result.portsStillOpen.join(', ')} (not a process of this stack?)`);
      output.result({ ok: result.stillRunning.length === 0, ...result });
      setExitCode(result.stillRunning.length === 0 ? ExitCode.OK : ExitCode.BAD_INPUT);
    });

  stack
    .command('status')
    .description('each part: running or stopped, pid, address, ready; exits 0 when all are up and ready, 1 otherwise')
    .option(...dirOption)
    .option('--json', 'one JSON object on the last line', false)
    .action(async (options: StackOptions) => {
      const output = new Output(options.json);
      const result = await stackStatus(stackDir(options));
      output.line(`local stack in ${result.dir}${result.known ? '' : ' (never started: default ports shown)'}: ${result.allReady ? 'up' : 'not up'}`);
      printParts(output, result.parts);
      output.result(result);
      setExitCode(result.allReady ? ExitCode.OK : STACK_NOT_UP);
    });

  stack
    .command('logs')
    .description(`the tail of a part's log, or of every part's (${STACK_PART_NAMES.join(', ')}; <service>-<k> for the k-th instance)`)
    .argument('[part]', 'one part of the stack', (value: string) => {
      const instance = /^(.*)-\d+$/.exec(value)?.[1];
      if (!(STACK_PART_NAMES as readonly string[]).includes(value) && !(instance !== undefined && (STACK_PART_NAMES as readonly string[]).includes(instance)))
        throw new InvalidArgumentError(`must be one of ${STACK_PART_NAMES.join(', ')}, or <service>-<k>`);
      return value as StackPartName;
    })
    .option(...dirOption)
    .option('-n, --lines <n>', 'lines per log', integerOption('--lines', 1, 100_000), 40)
    .action(async (part: StackPartName | undefined, options: { dir?: string; lines: number }) => {
      const dir = stackDir(options);
      for (const name of part === undefined ? STACK_PART_NAMES : [part]) process.stdout.write(`${await stackLogs(dir, name, options.lines)}\n`);
      setExitCode(ExitCode.OK);
    });

  return stack;
}

function stackDir(options: { dir?: string }): string {
  return options.dir === undefined ? join(findRepoRoot(), '.duet', 'stack') : resolve(options.dir);
}

function printParts(output: Output, parts: readonly StackPart[]): void {
  for (const part of parts) {
    const state = part.running ? 'running' : 'stopped';
    const pid = part.pid === undefined ? '-' : String(part.pid);
    const ready = part.ready ? 'ready' : 'not ready';
    const timing = part.seconds === undefined ? '' : `  ${part.started ? 'started' : 'adopted'} in ${part.seconds.toFixed(1)} s`;
    const restarts = part.restarts ? `  restarted ${part.restarts}×` : '';
    output.line(`  ${part.name.padEnd(25)} ${state.padEnd(8)} pid ${pid.padEnd(8)} ${ready.padEnd(9)}  ${part.address}${timing}${restarts}`);
  }
}
