import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { describe, expect, it } from 'vitest';
import { App, EventKind, GuestState, Persona } from './generated/duet/common/v1/enums';
import { HandsetEventBatch } from './generated/duet/events/v1/events';
import { DemandBatch, GrantBatch } from './generated/duet/persona/v1/persona';

// Wire type and occurrences of each field number in an encoded message.
function fieldsOf(bytes: Uint8Array): Map<number, WireType[]> {
  const fields = new Map<number, WireType[]>();
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [fieldNumber, wireType] = reader.tag();
    fields.set(fieldNumber, [...(fields.get(fieldNumber) ?? []), wireType]);
    reader.skip(wireType);
  }
  return fields;
}

describe('HandsetEventBatch', () => {
  const batch = HandsetEventBatch.fromPartial({
    runId: 'run-7',
    shard: 3,
    tick: 1439,
    kind: [EventKind.EVENT_KIND_SESSION_STARTED, EventKind.EVENT_KIND_BALLOON_ADJUSTED, EventKind.EVENT_KIND_BATTERY_EMPTY],
    handsetId: [12, 12, 40_001],
    persona: [Persona.PERSONA_BUSINESS, Persona.PERSONA_BUSINESS, Persona.PERSONA_UNSPECIFIED],
    a: [App.APP_EMAIL, -2048, 0],
    b: [0, 384, 0],
  });

  it('decodes to the batch it encoded, negative arguments included', () => {
    const sut = HandsetEventBatch;
    expect(sut.decode(sut.encode(batch).finish())).toEqual(batch);
  });

  it('writes each column once, packed', () => {
    const fields = fieldsOf(HandsetEventBatch.encode(batch).finish());
    for (const column of [4, 5, 6, 7, 8]) expect(fields.get(column)).toEqual([WireType.LengthDelimited]);
  });

  it('keeps an empty batch of a quiet tick distinguishable by its keys', () => {
    const empty = HandsetEventBatch.fromPartial({ runId: 'run-7', shard: 3, tick: 5 });
    expect(HandsetEventBatch.decode(HandsetEventBatch.encode(empty).finish())).toEqual({ ...empty, kind: [], handsetId: [], persona: [], a: [], b: [] });
  });
});

describe('DemandBatch and GrantBatch', () => {
  const handsets = 1000;
  const demand = DemandBatch.fromPartial({
    runId: 'run-7',
    shard: 0,
    tick: 60,
    persona: Persona.PERSONA_PERSONAL,
    handsetIds: Array.from({ length: handsets }, (_, i) => i * 4),
    cpuMhz: Array.from({ length: handsets }, (_, i) => (i * 37) % 2000),
    memoryMb: Array.from({ length: handsets }, (_, i) => 128 + (i % 256)),
    radioKbps: Array.from({ length: handsets }, (_, i) => (i % 3) * 384),
    screenOn: Array.from({ length: handsets }, (_, i) => i % 2 === 0),
    app: Array.from({ length: handsets }, (_, i) => i % 9),
  });

  it('decodes a demand batch to the batch it encoded', () => {
    const sut = DemandBatch;
    expect(sut.decode(sut.encode(demand).finish())).toEqual(demand);
  });

  it('packs every column of a demand batch into one field', () => {
    const bytes = DemandBatch.encode(demand).finish();
    const fields = fieldsOf(bytes);
    for (const column of [5, 6, 7, 8, 9, 10]) expect(fields.get(column)).toEqual([WireType.LengthDelimited]);
    // Packed varints: well under 16 bytes per handset for six columns.
    expect(bytes.length).toBeLessThan(handsets * 16);
  });

  it('decodes a grant batch to the batch it encoded', () => {
    const grant = GrantBatch.fromPartial({
      runId: demand.runId,
      shard: demand.shard,
      tick: demand.tick,
      persona: demand.persona,
      handsetIds: [0, 4, 8],
      cpuMhzGranted: [1000, 0, 250],
      memoryMbGranted: [256, 0, 192],
      guestState: [GuestState.GUEST_STATE_RUNNING, GuestState.GUEST_STATE_WIPED, GuestState.GUEST_STATE_SUSPENDED],
      batteryPermille: [1000, 0, 415],
      powered: [true, false, true],
    });
    expect(GrantBatch.decode(GrantBatch.encode(grant).finish())).toEqual(grant);
  });
});
