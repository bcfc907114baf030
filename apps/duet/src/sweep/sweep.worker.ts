// Entry of a sweep worker process (forked by sweep-runner.ts): runs the jobs its parent sends, one
// at a time, and answers each with its result or its error.
import { runSweepJob, type SweepJob } from './sweep-job';
import type { WorkerAnswer } from './sweep-runner';

process.on('message', (job: SweepJob) => {
  let answer: WorkerAnswer;
  try {
    answer = { ok: true, result: runSweepJob(job) };
  } catch (error) {
    answer = { ok: false, index: job.index, error: error instanceof Error ? error.message : String(error) };
  }
  process.send!(answer);
});
