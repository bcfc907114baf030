import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type Server } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureStackCertificates } from './certificates';

const dir = mkdtempSync(join(tmpdir(), 'duet-certs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function handshake(server: Server, ca: Buffer | undefined, servername: string): Promise<string> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername }, () => {
      socket.end();
      resolve('authorized');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('the stack certificate authority', () => {
  it('signs a server certificate that a client trusting only the CA verifies for 127.0.0.1 and localhost', async () => {
    const files = await ensureStackCertificates(dir);
    expect(statSync(files.keyFile).mode & 0o077).toBe(0);
    const server = createServer({ cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) }, (socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      expect(await handshake(server, readFileSync(files.caFile), 'localhost')).toBe('authorized');
      // Without the CA the same certificate is refused: the client really checks the chain.
      expect(await handshake(server, undefined, 'localhost')).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      expect(await handshake(server, readFileSync(files.caFile), 'example.com')).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    } finally {
      server.close();
    }
  });

  it('keeps an existing CA when called again, so clients that trust it keep working', async () => {
    const before = readFileSync(join(dir, 'ca.pem'), 'utf8');
    await ensureStackCertificates(dir);
    expect(readFileSync(join(dir, 'ca.pem'), 'utf8')).toBe(before);
  });
});
