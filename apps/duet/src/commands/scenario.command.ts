import { Command } from 'commander';
import { ExitCode } from '../exit-codes';
import { Output } from '../output';
import { ScenarioError, formatProblem, loadScenario } from '../scenario/scenario.loader';
import { scenarioJsonSchema } from '../scenario/scenario.schema';

/** `duet scenario validate <file>` and `duet scenario schema`. */
export function scenarioCommand(setExitCode: (code: number) => void): Command {
  const scenario = new Command('scenario').description('check scenario files and print their schema');
  scenario
    .command('validate')
    .description('validate a scenario file; lists every problem with its path and line, exit 2 when there is one')
    .argument('<file>', 'scenario YAML file')
    .option('--set <path=value...>', 'override a value, e.g. --set fleet.handsets=500', [])
    .option('--json', 'print one JSON object', false)
    .action((file: string, options: { set: string[]; json: boolean }) => {
      const output = new Output(options.json);
      try {
        const loaded = loadScenario(file, options.set);
        output.line(
          `${file}: valid (${loaded.config.fleet.handsets} handsets, ${loaded.config.ticks} ticks of ${loaded.config.tickSeconds} s, ${loaded.config.shards} shards)`,
        );
        output.result({ file, valid: true, problems: [] });
        setExitCode(ExitCode.OK);
      } catch (error) {
        if (!(error instanceof ScenarioError)) throw error;
        printScenarioError(output, error);
        output.result({ file, valid: false, problems: error.problems });
        setExitCode(ExitCode.BAD_INPUT);
      }
    });
  scenario
    .command('schema')
    .description('print the JSON Schema of scenario files')
    .action(() => {
      process.stdout.write(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
      setExitCode(ExitCode.OK);
    });
  return scenario;
}

export function printScenarioError(output: Output, error: ScenarioError): void {
  output.error(`duet: ${error.file}: ${error.problems.length} problem(s); nothing was run`);
  for (const problem of error.problems) output.error(`  ${formatProblem(problem)}`);
}
