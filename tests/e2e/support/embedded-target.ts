// An embedded target (the four services' Nest modules in this process, embedded PostgreSQL) for
// the specs of a describe block: started before them, closed after them.
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { EmbeddedTarget } from '@duet/cli/dist/run/embedded.target';
import { REPOSITORY_ROOT } from './duet-process';

/**
 * Returns a getter: the target exists once the block's beforeAll has run. `prepare`, when given,
 * runs in that beforeAll once the target is up (a run whose results the specs read).
 */
export function useEmbeddedTarget(folder: string, prepare?: (target: EmbeddedTarget) => Promise<void>): () => EmbeddedTarget {
  let target: EmbeddedTarget | undefined;
  beforeAll(async () => {
    target = await EmbeddedTarget.start(join(REPOSITORY_ROOT, '.duet', folder));
    await prepare?.(target);
  }, 180_000);
  afterAll(async () => {
    await target?.close();
  });
  return () => {
    if (target === undefined) throw new Error('the embedded target did not start (see beforeAll)');
    return target;
  };
}
