// What `duet stack status` reports: is each part's process alive, does its port answer.
import { join, resolve } from 'node:path';
import { runningKafkaPid } from './kafka';
import { runningPostmaster } from './postgres';
import { isPortOpen } from './process';

export interface ServiceStatus {
  /** The pid from the part's pid file when that process is alive. */
  pid: number | undefined;
  alive: boolean;
  port: number;
  portOpen: boolean;
}

export interface StackStatus {
  kafka: ServiceStatus;
  postgres: ServiceStatus;
}

/** Status of the broker and the database server of the given data dirs (the defaults of `duet stack up` under <repo>/.duet). */
export async function status(options: {
  repoRoot: string;
  kafkaDataDir?: string;
  kafkaPort: number;
  postgresDataDir?: string;
  postgresPort: number;
}): Promise<StackStatus> {
  const kafkaDir = resolve(options.kafkaDataDir ?? join(options.repoRoot, '.duet', 'kafka', 'data'));
  const postgresDir = resolve(options.postgresDataDir ?? join(options.repoRoot, '.duet', 'postgres'));
  const kafkaPid = runningKafkaPid(kafkaDir);
  const postmaster = runningPostmaster(postgresDir);
  const [kafkaOpen, postgresOpen] = await Promise.all([isPortOpen(options.kafkaPort), isPortOpen(options.postgresPort)]);
  return {
    kafka: { pid: kafkaPid, alive: kafkaPid !== undefined, port: options.kafkaPort, portOpen: kafkaOpen },
    postgres: { pid: postmaster?.pid, alive: postmaster !== undefined, port: options.postgresPort, portOpen: postgresOpen },
  };
}
