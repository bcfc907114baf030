import { Command, CommanderError } from 'commander';
import { ConfigError } from '@duet/service-kit';
import { benchCoreCommand } from './commands/bench-core.command';
import { runCommand } from './commands/run.command';
import { scenarioCommand } from './commands/scenario.command';
import { sweepCommand } from './commands/sweep.command';
import { compareCommand } from './commands/compare.command';
import { runsCommand } from './commands/runs.command';
import { stackCommand } from './commands/stack.command';
import { ExitCode } from './exit-codes';

/** Builds the `duet` program; commands are registered here, in one explicit list. */
export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('duet').description('Duet: simulate fleets of dual-persona (personal + business) handsets');
  const bench = new Command('bench').description('benchmarks run on purpose (see bench/README.md)');
  bench.addCommand(benchCoreCommand(setExitCode));
  program.addCommand(bench);
  program.addCommand(runCommand(setExitCode));
  program.addCommand(scenarioCommand(setExitCode));
  program.addCommand(sweepCommand(setExitCode));
  program.addCommand(compareCommand(setExitCode));
  program.addCommand(stackCommand(setExitCode));
  program.addCommand(runsCommand(setExitCode));
  throwInsteadOfExiting(program);
  return program;
}

// Commander exits the process on usage errors; we map them to exit code 2 ourselves, and
// addCommand() does not pass that setting down, so apply it to the whole tree.
function throwInsteadOfExiting(command: Command): void {
  command.exitOverride();
  for (const child of command.commands) throwInsteadOfExiting(child);
}

export async function main(argv: readonly string[]): Promise<number> {
  let exitCode: number = ExitCode.OK;
  const program = buildProgram((code) => (exitCode = code));
  try {
    await program.parseAsync(argv as string[]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; usage errors are bad input.
      return error.exitCode === 0 ? ExitCode.OK : ExitCode.BAD_INPUT;
    }
    // A setting that is wrong (e.g. DUET_TLS_CA naming no file) is bad input, said without a stack trace.
    if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
    else process.stderr.write(`duet: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return ExitCode.BAD_INPUT;
  }
  return exitCode;
}
