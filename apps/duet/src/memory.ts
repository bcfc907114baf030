import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// Retained-memory measurement for benchmarks: a full GC before each reading, then JS heap plus
// ArrayBuffer backing stores (where typed-array columns live).
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

export function retainedBytes(): number {
  collectGarbage();
  collectGarbage();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}
