// Entry of a measurement worker thread (started by measurement-thread.ts): measures one run on the
// pure core and posts its progress and then the measurement, or the error that stopped it.
import { parentPort, workerData } from 'node:worker_threads';
import { fileCheckpointSink } from '../fork/checkpoint-directory';
import { measureRun } from './run-measurement';
import type { MeasurementJob, MeasurementMessage } from './measurement-thread';

const PROGRESS_EVERY_MS = 200;

const port = parentPort!;
const { config, checkpoints } = workerData as MeasurementJob;
let lastProgress = 0;
try {
  const measurement = measureRun(
    config,
    (kpis) => {
      const now = performance.now();
      if (now - lastProgress < PROGRESS_EVERY_MS) return;
      lastProgress = now;
      port.postMessage({ type: 'progress', ticks: kpis.tick + 1 } satisfies MeasurementMessage);
    },
    { checkpoints: checkpoints === undefined ? undefined : fileCheckpointSink(checkpoints.dir, checkpoints.every) },
  );
  port.postMessage({ type: 'done', measurement } satisfies MeasurementMessage);
} catch (error) {
  port.postMessage({ type: 'failed', message: error instanceof Error ? error.message : String(error) } satisfies MeasurementMessage);
}
