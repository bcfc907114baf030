// Entry of a measurement worker thread (started by measurement-thread.ts): measures one run on the
// pure core and posts its progress and then the measurement, or the error that stopped it.
import { parentPort, workerData } from 'node:worker_threads';
import type { SimulationConfig } from '@duet/sim-core';
import { measureRun } from './run-measurement';
import type { MeasurementMessage } from './measurement-thread';

const PROGRESS_EVERY_MS = 200;

const port = parentPort!;
const config = workerData as SimulationConfig;
let lastProgress = 0;
try {
  const measurement = measureRun(config, (kpis) => {
    const now = performance.now();
    if (now - lastProgress < PROGRESS_EVERY_MS) return;
    lastProgress = now;
    port.postMessage({ type: 'progress', ticks: kpis.tick + 1 } satisfies MeasurementMessage);
  });
  port.postMessage({ type: 'done', measurement } satisfies MeasurementMessage);
} catch (error) {
  port.postMessage({ type: 'failed', message: error instanceof Error ? error.message : String(error) } satisfies MeasurementMessage);
}
