import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ensureStackCertificates, type StackCertificates } from '@duet/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadConfig } from './config';
import { grpcChannelCredentials, grpcServerCredentials, httpsOptions, serverTls, tlsCaFile, tlsEnvironment, trustingFetch } from './tls';

const dir = mkdtempSync(join(tmpdir(), 'duet-tls-'));
let files: StackCertificates;

beforeAll(async () => {
  files = await ensureStackCertificates(join(dir, 'tls'));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a service’s TLS settings', () => {
  const schema = z.object(tlsEnvironment);

  it('serve plaintext when neither certificate nor key is set, TLS when both are', () => {
    expect(serverTls('spec', loadConfig('spec', schema, {}))).toBeUndefined();
    expect(httpsOptions(undefined)).toEqual({});
    const tls = serverTls('spec', loadConfig('spec', schema, { DUET_TLS_CERT: files.certFile, DUET_TLS_KEY: files.keyFile }));
    expect(tls?.cert.toString()).toContain('BEGIN CERTIFICATE');
    expect(httpsOptions(tls).httpsOptions?.key.toString()).toContain('PRIVATE KEY');
  });

  it('refuse a certificate without its key, and a file that is not there, naming the variable', () => {
    expect(() => serverTls('spec', loadConfig('spec', schema, { DUET_TLS_CERT: files.certFile }))).toThrow(/DUET_TLS_KEY: required/);
    const missing = join(dir, 'missing.pem');
    expect(() => serverTls('spec', loadConfig('spec', schema, { DUET_TLS_CERT: missing, DUET_TLS_KEY: files.keyFile }))).toThrow(ConfigError);
    expect(() => serverTls('spec', { DUET_TLS_CERT: files.certFile, DUET_TLS_KEY: missing })).toThrow(/DUET_TLS_KEY: cannot read ".*missing\.pem" \(ENOENT\)/);
    expect(() => tlsCaFile(loadConfig('spec', schema, { DUET_TLS_CA: missing }))).toThrow(/DUET_TLS_CA: no such file: ".*missing\.pem"/);
    expect(tlsCaFile({ DUET_TLS_CA: '' })).toBeUndefined();
  });
});

describe('TLS between Duet’s servers and clients', () => {
  it('gRPC: a client trusting the CA is served, a plaintext one never connects', async () => {
    const tls = serverTls('spec', { DUET_TLS_CERT: files.certFile, DUET_TLS_KEY: files.keyFile });
    const server = new grpc.Server();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpcServerCredentials(tls), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    const ready = async (credentials: grpc.ChannelCredentials): Promise<string> => {
      const client = new grpc.Client(`127.0.0.1:${port}`, credentials);
      try {
        await new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + 3_000, (error) => (error ? reject(error) : resolve())));
        return 'ready';
      } catch (error) {
        return (error as Error).message;
      } finally {
        client.close();
      }
    };
    try {
      expect(await ready(grpcChannelCredentials(files.caFile))).toBe('ready');
      expect(await ready(grpcChannelCredentials(undefined))).not.toBe('ready');
    } finally {
      server.forceShutdown();
    }
  });

  it('HTTPS: fetch trusting the CA gets an answer, plain fetch refuses the certificate and http:// gets none', async () => {
    const server: Server = createServer(
      httpsOptions(serverTls('spec', { DUET_TLS_CERT: files.certFile, DUET_TLS_KEY: files.keyFile })).httpsOptions!,
      (_, response) => response.end('ok'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const answer = await trustingFetch(files.caFile)(`https://127.0.0.1:${port}/`);
      expect(await answer.text()).toBe('ok');
      expect(trustingFetch(files.caFile)).toBe(trustingFetch(files.caFile)); // one connection pool per CA
      await expect(fetch(`https://127.0.0.1:${port}/`)).rejects.toThrow();
      await expect(trustingFetch(files.caFile)(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5_000) })).rejects.toThrow();
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
