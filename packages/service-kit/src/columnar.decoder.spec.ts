import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hypervisor } from '@duet/contracts';
import { decodeExchangeTickRequest, decodeExchangeTickResponse } from './columnar.decoder';

// Typed arrays and booleans-as-0/1 compared as the plain values the generated decoder gives.
function plain(value: unknown): unknown {
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) return value.map((each) => (typeof each === 'boolean' ? Number(each) : plain(each)));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, each]) => [key, plain(each)]));
  return value;
}

const uint32 = fc.integer({ min: 0, max: 0xffffffff });
const small = fc.integer({ min: 0, max: 70_000 });
const enumValue = fc.integer({ min: 0, max: 6 });
const keys = { runId: fc.string(), shard: small, tick: uint32, persona: enumValue, handsetIds: fc.array(uint32) };

const request = fc.record({
  demand: fc.option(
    fc.record({
      ...keys,
      cpuMhz: fc.array(small),
      memoryMb: fc.array(small),
      radioKbps: fc.array(small),
      screenOn: fc.array(fc.boolean()),
      app: fc.array(small),
      worldRequest: fc.array(enumValue),
      policyRevision: fc.array(small),
      policyApplied: fc.array(fc.boolean()),
    }),
    { nil: undefined },
  ),
  flowRequests: fc.option(fc.record({ handsetIds: fc.array(uint32), kind: fc.array(enumValue) }), { nil: undefined }),
});

const response = fc.record({
  grant: fc.option(
    fc.record({
      ...keys,
      cpuMhzGranted: fc.array(small),
      memoryMbGranted: fc.array(small),
      guestState: fc.array(enumValue),
      batteryPermille: fc.array(small),
      powered: fc.array(fc.boolean()),
      foreground: fc.array(enumValue),
      incomingItems: fc.array(small),
    }),
    { nil: undefined },
  ),
  flowDecisions: fc.option(fc.record({ allowed: fc.array(fc.boolean()), rule: fc.array(fc.string()) }), { nil: undefined }),
});

describe('the columnar decoder of the tick exchange', () => {
  // Each message type with its arbitrary messages, its generated codec and the columnar decoder.
  const messages = [
    { name: 'ExchangeTickRequest', arbitrary: request, codec: hypervisor.ExchangeTickRequest, columnar: decodeExchangeTickRequest },
    { name: 'ExchangeTickResponse', arbitrary: response, codec: hypervisor.ExchangeTickResponse, columnar: decodeExchangeTickResponse },
  ] as const;

  it.each(messages)('reads every $name as the generated decoder does', ({ arbitrary, codec, columnar }) => {
    const { encode, decode } = codec as { encode(message: unknown): { finish(): Uint8Array }; decode(bytes: Uint8Array): unknown };
    fc.assert(
      fc.property(arbitrary as fc.Arbitrary<unknown>, (message) => {
        const bytes = encode(message).finish();
        expect(plain((columnar as (bytes: Uint8Array) => unknown)(bytes))).toEqual(plain(decode(bytes)));
      }),
      { numRuns: 300 },
    );
  });

  it('reads repeated elements sent unpacked, and skips fields it does not know', () => {
    // cpu_mhz (6) as two unpacked varints 300 and 7, an unknown field 99 (varint), tick (3) = 5.
    const demand = Uint8Array.from([0x30, 0xac, 0x02, 0x30, 0x07, 0x98, 0x06, 0x01, 0x18, 0x05]);
    const bytes = Uint8Array.from([0x0a, demand.length, ...demand]);
    const decoded = decodeExchangeTickRequest(bytes);
    expect(Array.from(decoded.demand!.cpuMhz)).toEqual([300, 7]);
    expect(decoded.demand!.tick).toBe(5);
  });

  it('refuses bytes that are not a message: a length past the end, a truncated varint, wire type 7', () => {
    expect(() => decodeExchangeTickRequest(Uint8Array.from([0x0a, 0x05, 0x30]))).toThrow(RangeError);
    expect(() => decodeExchangeTickRequest(Uint8Array.from([0x0a, 0x02, 0x30, 0x80]))).toThrow(RangeError);
    expect(() => decodeExchangeTickResponse(Uint8Array.from([0x0f, 0x00]))).toThrow(RangeError);
  });
});
