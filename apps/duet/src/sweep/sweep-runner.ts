// Runs a sweep's jobs in worker processes, as many at a time as asked (default: the cores there
// are). Results come back in grid order whatever order the workers finish in.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { SweepJob, SweepJobResult } from './sweep-job';

export type WorkerAnswer = { readonly ok: true; readonly result: SweepJobResult } | { readonly ok: false; readonly index: number; readonly error: string };

const WORKER_MODULE = join(__dirname, 'sweep.worker.js');

export async function runSweepJobs(
  jobs: readonly SweepJob[],
  parallel: number,
  onResult: (result: SweepJobResult, done: number) => void = () => undefined,
): Promise<SweepJobResult[]> {
  const results: SweepJobResult[] = new Array(jobs.length);
  let next = 0;
  let done = 0;
  const workers: ChildProcess[] = [];
  const drive = (worker: ChildProcess): Promise<void> =>
    new Promise((resolve, reject) => {
      const send = () => {
        if (next >= jobs.length) return resolve();
        worker.send(jobs[next++]);
      };
      worker.on('message', (answer: WorkerAnswer) => {
        if (!answer.ok) return reject(new Error(`combination #${answer.index}: ${answer.error}`));
        results[answer.result.index] = answer.result;
        onResult(answer.result, ++done);
        send();
      });
      worker.on('exit', (code, signal) => {
        if (next < jobs.length || done < jobs.length) reject(new Error(`a sweep worker exited early (${signal ?? `code ${code}`})`));
      });
      worker.on('error', reject);
      send();
    });
  try {
    const count = Math.max(1, Math.min(parallel, jobs.length));
    for (let w = 0; w < count; w++) workers.push(fork(WORKER_MODULE, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    await Promise.all(workers.map(drive));
    return results;
  } finally {
    for (const worker of workers) if (worker.exitCode === null && worker.signalCode === null) worker.kill();
  }
}
