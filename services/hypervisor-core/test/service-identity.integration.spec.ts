// hypervisor-core's gRPC server as a third-party client meets it: the tick exchange and shard
// status answer Duet services only (a service identity), health answers anyone, and bytes that
// are not a request are INVALID_ARGUMENT. Real gRPC over a socket on 127.0.0.1; the in-process bus.
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Client, Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { hypervisor } from '@duet/contracts';
import { InProcessEventBus, ServiceIdentities, freePort } from '@duet/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHypervisorCoreApp } from '../src/index';

const SERVICE_KEY = 'hypervisor-spec-service-identity-key-0123456789';
const SERVICE = '/duet.hypervisor.v1.HypervisorService';

describe('hypervisor-core over gRPC', () => {
  let app: INestApplication;
  let client: Client;
  const bus = new InProcessEventBus();

  beforeAll(async () => {
    const [grpcPort, httpPort] = [await freePort(), await freePort()];
    const address = `127.0.0.1:${grpcPort}`;
    app = await startHypervisorCoreApp({ eventBus: bus, instanceId: 'spec', serviceIdentityKey: SERVICE_KEY }, { host: '127.0.0.1', grpcPort, httpPort });
    client = new Client(address, credentials.createInsecure());
  });

  afterAll(async () => {
    client?.close();
    await app?.close();
    await bus.close();
  });

  function call(method: string, bytes: Uint8Array, authorization?: string): Promise<ServiceError | Buffer> {
    const metadata = new Metadata();
    if (authorization !== undefined) metadata.set('authorization', authorization);
    const identity = (buffer: Buffer) => buffer;
    return new Promise((resolve) =>
      client.makeUnaryRequest(`${SERVICE}/${method}`, identity, identity, Buffer.from(bytes), metadata, { deadline: Date.now() + 10_000 }, (error, response) =>
        resolve(error ?? response!),
      ),
    );
  }

  // No demand batch: refused as INVALID_ARGUMENT once past the door.
  const exchange = hypervisor.ExchangeTickRequest.encode(hypervisor.ExchangeTickRequest.fromPartial({})).finish();

  it('refuses ExchangeTick and GetShardStatus without a service identity', async () => {
    const forged = new ServiceIdentities('another-stack-service-identity-key-0123456789').tokenOf('persona-runtime');
    for (const authorization of [undefined, 'Bearer persona-runtime', `Bearer ${forged}`]) {
      for (const [method, bytes] of [
        ['ExchangeTick', exchange],
        ['GetShardStatus', hypervisor.GetShardStatusRequest.encode({ runId: 'r', shard: 0 }).finish()],
      ] as const) {
        const answer = await call(method, bytes, authorization);
        expect((answer as ServiceError).code, `${method} with ${authorization}`).toBe(status.UNAUTHENTICATED);
      }
    }
  });

  it('serves a caller with a service identity, and health to anyone', async () => {
    const answer = await call('ExchangeTick', exchange, `Bearer ${new ServiceIdentities(SERVICE_KEY).tokenOf('persona-runtime')}`);
    expect((answer as ServiceError).code).toBe(status.INVALID_ARGUMENT);
    expect((answer as ServiceError).details).toContain('demand');
    expect(await call('CheckHealth', hypervisor.CheckHealthRequest.encode({}).finish())).toBeInstanceOf(Buffer);
  });

  it('answers bytes that are not a request with INVALID_ARGUMENT', async () => {
    const answer = await call('CheckHealth', Uint8Array.from([0x0a, 0x10, 0x01]));
    expect((answer as ServiceError).code).toBe(status.INVALID_ARGUMENT);
  });
});
