import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { prunePolicyAuthorityRuns } from '@duet/policy-authority';
import { Database } from '@duet/service-kit';
import { findRepoRoot } from '@duet/stack';
import { pruneTelemetryRuns } from '@duet/telemetry';
import { ExitCode } from '../exit-codes';
import { Output } from '../output';
import { readStackEnvironment } from '../run/local.target';
import { durationSeconds } from '../scenario/duration';

interface PruneOptions {
  olderThan: string;
  databaseUrl?: string;
  json: boolean;
}

/** `duet runs prune --older-than <duration>`: retention of the runs stored in PostgreSQL. */
export function runsCommand(setExitCode: (code: number) => void): Command {
  const runs = new Command('runs').description('the runs stored in PostgreSQL by telemetry and policy-authority');
  runs
    .command('prune')
    .description('delete the runs that ended (or started and never ended) longer ago than --older-than, with every row of them')
    .requiredOption('--older-than <duration>', 'how old a run must be to go: 90s, 15m, 2h, 7d')
    .option('--database-url <url>', "the stack's PostgreSQL (default: DATABASE_URL, else the default stack's stack.env)")
    .option('--json', 'one JSON object on the last line', false)
    .action(async (options: PruneOptions) => setExitCode(await prune(options)));
  return runs;
}

async function prune(options: PruneOptions): Promise<number> {
  const output = new Output(options.json);
  const seconds = durationSeconds(options.olderThan);
  if (seconds === undefined) {
    output.error(`duet runs prune: --older-than must be a duration like 90s, 15m, 2h or 7d, got "${options.olderThan.slice(0, 64)}"`);
    return ExitCode.BAD_INPUT;
  }
  const url = options.databaseUrl ?? process.env.DATABASE_URL ?? defaultStackDatabaseUrl();
  if (url === undefined) {
    output.error('duet runs prune: no database: give --database-url, set DATABASE_URL, or start the stack with `duet stack up`');
    return ExitCode.BAD_INPUT;
  }
  const before = new Date(Date.now() - seconds * 1000);
  const database = new Database(url, { maxConnections: 1 });
  try {
    const runIds = await pruneTelemetryRuns(database, before);
    const policyRows = await prunePolicyAuthorityRuns(database, runIds);
    output.line(
      `pruned ${runIds.length} run(s) older than ${options.olderThan} (before ${before.toISOString()})${runIds.length > 0 ? `: ${runIds.join(', ')}` : ''}`,
    );
    output.result({ ok: true, before: before.toISOString(), runIds, policyAuthorityRows: policyRows });
    return ExitCode.OK;
  } finally {
    await database.close();
  }
}

function defaultStackDatabaseUrl(): string | undefined {
  try {
    const file = join(findRepoRoot(), '.duet', 'stack', 'stack.env');
    return existsSync(file) ? readStackEnvironment(file).DATABASE_URL : undefined;
  } catch {
    return undefined; // not inside the repository
  }
}
