// The core's measurement of a run (run-measurement.ts) on a worker thread, so that on a service
// target it goes on while the services run instead of after them: the two are independent until
// their digests are compared, and a 100,000-handset day is ~75 s of core work either way.
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import type { SimulationConfig } from '@duet/sim-core';
import type { RunMeasurement } from './run-measurement';

export type MeasurementMessage =
  | { readonly type: 'progress'; readonly ticks: number }
  | { readonly type: 'done'; readonly measurement: RunMeasurement }
  | { readonly type: 'failed'; readonly message: string };

export interface MeasurementThread {
  /** Ticks measured so far. */
  readonly ticks: number;
  /** The measurement, once the thread has finished; rejects with the error that stopped it. */
  readonly result: Promise<RunMeasurement>;
  /** Called with the ticks measured so far, about five times a second. */
  onProgress(listener: (ticks: number) => void): void;
  /** Stops the thread (a run that failed needs no measurement). */
  cancel(): Promise<void>;
}

/** What a measurement thread is given: the run, and where it keeps checkpoints if anywhere. */
export interface MeasurementJob {
  readonly config: SimulationConfig;
  readonly checkpoints?: { readonly dir: string; readonly every: number };
}

export function startMeasurementThread(config: SimulationConfig, checkpoints?: MeasurementJob['checkpoints']): MeasurementThread {
  const worker = new Worker(join(__dirname, 'measurement.worker.js'), { workerData: { config, checkpoints } satisfies MeasurementJob });
  let ticks = 0;
  let listener: (ticks: number) => void = () => undefined;
  const result = new Promise<RunMeasurement>((resolve, reject) => {
    worker.on('message', (message: MeasurementMessage) => {
      if (message.type === 'progress') listener((ticks = message.ticks));
      else if (message.type === 'done') resolve(message.measurement);
      else reject(new Error(`measuring the run on the core failed: ${message.message}`));
    });
    worker.on('error', (error) => reject(new Error(`measuring the run on the core failed: ${error.message}`)));
    worker.on('exit', (code) => reject(new Error(`the measurement thread exited with code ${code} before it finished`)));
  });
  result.catch(() => undefined); // observed by whoever awaits it; never an unhandled rejection
  return {
    get ticks() {
      return ticks;
    },
    result,
    onProgress(next) {
      listener = next;
    },
    async cancel() {
      await worker.terminate();
    },
  };
}
