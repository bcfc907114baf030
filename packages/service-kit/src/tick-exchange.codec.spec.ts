import { join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import { GRPC_LOADER_OPTIONS, PROTO_ROOT, hypervisor } from '@duet/contracts';
import { DemandBatch, FlowKind, GrantBatch } from '@duet/sim-core';
import { describe, expect, it } from 'vitest';
import { decodeDemand, decodeGrant, encodeDemand, encodeGrant, withPlainColumns } from './tick-exchange.codec';

const IDS = Uint32Array.of(4, 9, 17);
const KEYS = { runId: 'run-1', shard: 2, tick: 7, persona: 2 };

function demand(): DemandBatch {
  const batch = new DemandBatch(IDS.length);
  batch.cpuMhz.set([300, 0, 1200]);
  batch.memoryMb.set([128, 64, 512]);
  batch.radioKbps.set([0, 90, 2000]);
  batch.screenOn.set([1, 0, 1]);
  batch.app.set([2, 0, 5]);
  batch.worldRequest.set([0, 1, 0]);
  batch.policyIndex.set([1, 1, 3]);
  batch.policyApplied.set([1, 0, 1]);
  batch.flowKind.set([0, FlowKind.COPY_WORK_TO_PERSONAL, 0]);
  return batch;
}

/** The same message with plain arrays, as ts-proto would build it (and as the gRPC decoder returns it). */
function plain<T extends object>(message: T): T {
  return JSON.parse(JSON.stringify(message, (_key, value: unknown) => (ArrayBuffer.isView(value) ? Array.from(value as Uint8Array) : value))) as T;
}

describe('tick-exchange codec', () => {
  it('writes typed columns to exactly the bytes plain arrays give, booleans included', () => {
    const request = encodeDemand(KEYS, IDS, demand());
    const bytes = hypervisor.ExchangeTickRequest.encode(request).finish();
    expect(Buffer.from(bytes).equals(Buffer.from(hypervisor.ExchangeTickRequest.encode(plain(request)).finish()))).toBe(true);
    expect(hypervisor.ExchangeTickRequest.decode(bytes).demand!.screenOn).toEqual([true, false, true]);
  });

  it('reads a demand the same whether it came over the wire or in process', () => {
    const request = encodeDemand(KEYS, IDS, demand());
    const overWire = hypervisor.ExchangeTickRequest.decode(hypervisor.ExchangeTickRequest.encode(request).finish());
    const inProcess = new DemandBatch(IDS.length);
    const decoded = new DemandBatch(IDS.length);
    const indexOf = (id: number) => IDS.indexOf(id);
    decodeDemand(request, IDS, indexOf, inProcess);
    decodeDemand(overWire, IDS, indexOf, decoded);
    expect(inProcess).toEqual(decoded);
    expect(Array.from(decoded.flowKind)).toEqual([0, FlowKind.COPY_WORK_TO_PERSONAL, 0]);
    expect(Array.from(decoded.screenOn)).toEqual([1, 0, 1]);
  });

  it('hands over copies, so the sender may reuse its batch while the message is in flight', () => {
    const batch = demand();
    const request = encodeDemand(KEYS, IDS, batch);
    batch.cpuMhz.fill(0);
    expect(Array.from(request.demand!.cpuMhz)).toEqual([300, 0, 1200]);
  });

  it('reads a grant and its flow decisions the same over the wire and in process', () => {
    const asked = demand();
    const grant = new GrantBatch(IDS.length);
    grant.powered.set([1, 1, 0]);
    grant.cpuMhz.set([300, 0, 0]);
    grant.batteryPermille.set([900, 450, 0]);
    grant.flowResult.set([0, 2, 0]);
    const response = encodeGrant(KEYS, IDS, grant, asked);
    const overWire = hypervisor.ExchangeTickResponse.decode(hypervisor.ExchangeTickResponse.encode(response).finish());
    const inProcess = new GrantBatch(IDS.length);
    const decoded = new GrantBatch(IDS.length);
    decodeGrant(response, asked, inProcess);
    decodeGrant(overWire, asked, decoded);
    expect(inProcess).toEqual(decoded);
    expect(Array.from(decoded.powered)).toEqual([1, 1, 0]);
    expect(Array.from(decoded.batteryPermille)).toEqual([900, 450, 0]);
  });

  it('gives the gRPC adapters plain arrays, which the proto-loader serializer needs, for the same bytes', () => {
    const definition = protoLoader.loadSync(join(PROTO_ROOT, 'duet/hypervisor/v1/hypervisor.proto'), { ...GRPC_LOADER_OPTIONS, includeDirs: [PROTO_ROOT] });
    const exchange = (definition['duet.hypervisor.v1.HypervisorService'] as protoLoader.ServiceDefinition).ExchangeTick;
    const request = encodeDemand(KEYS, IDS, demand());
    expect(() => exchange.requestSerialize(request)).toThrow(/array expected/);
    const bytes = exchange.requestSerialize(withPlainColumns(request));
    expect(bytes.equals(Buffer.from(hypervisor.ExchangeTickRequest.encode(request).finish()))).toBe(true);
    const response = encodeGrant(KEYS, IDS, new GrantBatch(IDS.length), demand());
    expect(() => exchange.responseSerialize(withPlainColumns(response))).not.toThrow();
  });
});
