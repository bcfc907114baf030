// A run of consecutive free loopback ports, for `duet stack up --base-port`.
import { createServer, type Server } from 'node:net';

const LOWEST = 20_000;
const HIGHEST = 32_000; // below Linux's ephemeral range (32768–60999), which outgoing connections draw from
const ATTEMPTS = 100;

/** The first port of `count` consecutive ports that could all be bound on 127.0.0.1 just now. */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const base = LOWEST + Math.floor(Math.random() * (HIGHEST - LOWEST - count));
    const servers: Server[] = [];
    let free = true;
    for (let port = base; port < base + count && free; port++) {
      const server = createServer();
      free = await new Promise<boolean>((resolveListen) => {
        server.once('error', () => resolveListen(false));
        server.listen(port, '127.0.0.1', () => resolveListen(true));
      });
      if (free) servers.push(server);
    }
    await Promise.all(servers.map((server) => new Promise((resolveClose) => server.close(resolveClose))));
    if (free) return base;
  }
  throw new Error(`no ${count} consecutive free ports found in ${ATTEMPTS} attempts`);
}
