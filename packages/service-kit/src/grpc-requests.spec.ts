import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hypervisor } from '@duet/contracts';
import { checkWireFormat, grpcStatusName } from './grpc-requests';

describe('checkWireFormat', () => {
  it('accepts every encoded message and refuses it cut anywhere inside its last field', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(), (runId, shard) => {
        const bytes = hypervisor.GetShardStatusRequest.encode({ runId, shard }).finish();
        expect(() => checkWireFormat(bytes)).not.toThrow();
        if (bytes.length > 0) expect(() => checkWireFormat(bytes.subarray(0, bytes.length - 1))).toThrow();
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a string that announces more bytes than follow, field 0 and groups', () => {
    expect(() => checkWireFormat(Uint8Array.from([0x0a, 0x20, 0x61, 0x62]))).toThrow(/field 1 announces 32 bytes/);
    expect(() => checkWireFormat(Uint8Array.from([0x00, 0x01]))).toThrow(/field number 0/);
    expect(() => checkWireFormat(Uint8Array.from([0x0b]))).toThrow(/wire type 3/);
  });
});

describe('grpcStatusName', () => {
  it('names codes and calls anything else UNKNOWN', () => {
    expect([0, 3, 8, 16].map(grpcStatusName)).toEqual(['OK', 'INVALID_ARGUMENT', 'RESOURCE_EXHAUSTED', 'UNAUTHENTICATED']);
    expect(['23505', 17, -1, undefined, 2.5].map(grpcStatusName)).toEqual(['UNKNOWN', 'UNKNOWN', 'UNKNOWN', 'UNKNOWN', 'UNKNOWN']);
  });
});
