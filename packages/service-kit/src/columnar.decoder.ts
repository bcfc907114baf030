// A protobuf decoder for the tick exchange's columnar messages (ExchangeTickRequest and
// ExchangeTickResponse) that reads each packed repeated field straight into a typed array. The
// generated decoder pushes every element onto a JS array: at 25,000 handsets a shard's demand has
// ~225,000 elements, and profiles of the networked mode showed it as hypervisor-core's largest
// cost (6.3 s of a 20 s run) and the persona runtimes' too. The result has the generated types'
// shape with typed arrays for repeated numbers (the codec's `wireColumn` contract: columns are only
// indexed and iterated); a spec checks it against the generated decoder field by field.
import type { hypervisor } from '@duet/contracts';

type ColumnType = Uint32ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor;

type Field =
  | { readonly name: string; readonly kind: 'string' }
  | { readonly name: string; readonly kind: 'uint32' }
  | { readonly name: string; readonly kind: 'int32' }
  | { readonly name: string; readonly kind: 'repeated'; readonly column: ColumnType }
  | { readonly name: string; readonly kind: 'repeated-string' }
  | { readonly name: string; readonly kind: 'message'; readonly schema: Schema };

interface Schema {
  readonly fields: Readonly<Record<number, Field>>;
  /** The message's defaults: proto3 leaves default values (and empty repeated fields) out. */
  readonly base: () => Record<string, unknown>;
}

const u32 = (name: string): Field => ({ name, kind: 'repeated', column: Uint32Array });
const enums = (name: string): Field => ({ name, kind: 'repeated', column: Int32Array });
const bools = (name: string): Field => ({ name, kind: 'repeated', column: Uint8Array });
const none = (): Uint32Array => new Uint32Array(0);

const KEYS = {
  1: { name: 'runId', kind: 'string' },
  2: { name: 'shard', kind: 'uint32' },
  3: { name: 'tick', kind: 'uint32' },
  4: { name: 'persona', kind: 'int32' },
  5: u32('handsetIds'),
} as const satisfies Record<number, Field>;
const keyDefaults = () => ({ runId: '', shard: 0, tick: 0, persona: 0, handsetIds: none() });

const DEMAND_BATCH: Schema = {
  fields: {
    ...KEYS,
    6: u32('cpuMhz'),
    7: u32('memoryMb'),
    8: u32('radioKbps'),
    9: bools('screenOn'),
    10: u32('app'),
    11: enums('worldRequest'),
    12: u32('policyRevision'),
    13: bools('policyApplied'),
  },
  base: () => ({
    ...keyDefaults(),
    cpuMhz: none(),
    memoryMb: none(),
    radioKbps: none(),
    screenOn: new Uint8Array(0),
    app: none(),
    worldRequest: new Int32Array(0),
    policyRevision: none(),
    policyApplied: new Uint8Array(0),
  }),
};

const GRANT_BATCH: Schema = {
  fields: {
    ...KEYS,
    6: u32('cpuMhzGranted'),
    7: u32('memoryMbGranted'),
    8: enums('guestState'),
    9: u32('batteryPermille'),
    10: bools('powered'),
    11: enums('foreground'),
    12: u32('incomingItems'),
  },
  base: () => ({
    ...keyDefaults(),
    cpuMhzGranted: none(),
    memoryMbGranted: none(),
    guestState: new Int32Array(0),
    batteryPermille: none(),
    powered: new Uint8Array(0),
    foreground: new Int32Array(0),
    incomingItems: none(),
  }),
};

const FLOW_REQUESTS: Schema = { fields: { 1: u32('handsetIds'), 2: enums('kind') }, base: () => ({ handsetIds: none(), kind: new Int32Array(0) }) };
const FLOW_DECISIONS: Schema = {
  fields: { 1: bools('allowed'), 2: { name: 'rule', kind: 'repeated-string' } },
  base: () => ({ allowed: new Uint8Array(0), rule: [] }),
};

const REQUEST: Schema = {
  fields: { 1: { name: 'demand', kind: 'message', schema: DEMAND_BATCH }, 2: { name: 'flowRequests', kind: 'message', schema: FLOW_REQUESTS } },
  base: () => ({ demand: undefined, flowRequests: undefined }),
};
const RESPONSE: Schema = {
  fields: { 1: { name: 'grant', kind: 'message', schema: GRANT_BATCH }, 2: { name: 'flowDecisions', kind: 'message', schema: FLOW_DECISIONS } },
  base: () => ({ grant: undefined, flowDecisions: undefined }),
};

/** ExchangeTickRequest.decode, with typed-array columns. Throws RangeError on bytes that are not one. */
export function decodeExchangeTickRequest(bytes: Uint8Array): hypervisor.ExchangeTickRequest {
  return new Reader(bytes).message(REQUEST, bytes.length) as unknown as hypervisor.ExchangeTickRequest;
}

/** ExchangeTickResponse.decode, with typed-array columns. Throws RangeError on bytes that are not one. */
export function decodeExchangeTickResponse(bytes: Uint8Array): hypervisor.ExchangeTickResponse {
  return new Reader(bytes).message(RESPONSE, bytes.length) as unknown as hypervisor.ExchangeTickResponse;
}

const textDecoder = new TextDecoder('utf-8', { fatal: false });

class Reader {
  position = 0;

  constructor(private readonly bytes: Uint8Array) {}

  message(schema: Schema, end: number): Record<string, unknown> {
    const message = schema.base();
    // Unpacked elements of a repeated field (legal, if unusual), gathered and appended at the end.
    let loose: Map<string, number[]> | undefined;
    while (this.position < end) {
      const tag = this.varint();
      const number = tag >>> 3;
      const wireType = tag & 7;
      const field = schema.fields[number];
      if (field === undefined) {
        this.skip(wireType);
        continue;
      }
      if (field.kind === 'string' || field.kind === 'repeated-string') {
        this.expect(wireType, 2, field.name);
        const length = this.varint();
        const text = textDecoder.decode(this.bytes.subarray(this.position, this.advance(length)));
        if (field.kind === 'string') message[field.name] = text;
        else (message[field.name] as string[]).push(text);
      } else if (field.kind === 'uint32') {
        this.expect(wireType, 0, field.name);
        message[field.name] = this.varint();
      } else if (field.kind === 'int32') {
        this.expect(wireType, 0, field.name);
        message[field.name] = this.varint() | 0;
      } else if (field.kind === 'message') {
        this.expect(wireType, 2, field.name);
        const length = this.varint();
        const stop = this.position + length;
        if (stop > end) throw new RangeError(`${field.name}: length ${length} runs past the message`);
        message[field.name] = this.message(field.schema, stop);
      } else if (wireType === 2) {
        const length = this.varint();
        const stop = this.position + length;
        if (stop > end) throw new RangeError(`${field.name}: length ${length} runs past the message`);
        message[field.name] = append(message[field.name] as ArrayLike<number>, this.packed(field.column, stop), field.column);
      } else {
        this.expect(wireType, 0, field.name);
        loose ??= new Map();
        const values = loose.get(field.name) ?? [];
        values.push(this.varint());
        loose.set(field.name, values);
      }
    }
    if (this.position !== end) throw new RangeError(`the message ends at byte ${end}, its last field at ${this.position}`);
    for (const [name, values] of loose ?? []) {
      const field = Object.values(schema.fields).find((each) => each.name === name) as Extract<Field, { kind: 'repeated' }>;
      message[name] = append(message[name] as ArrayLike<number>, field.column.from(values), field.column);
    }
    return message;
  }

  /** A packed run of varints up to `end`, counted first so the column is allocated once. */
  private packed(column: ColumnType, end: number): Uint32Array | Int32Array | Uint8Array {
    let count = 0;
    for (let i = this.position; i < end; i++) if (this.bytes[i] < 0x80) count++;
    const values = new column(count);
    for (let k = 0; k < count; k++) values[k] = this.varint();
    if (this.position !== end) throw new RangeError(`a packed field ends inside a value (byte ${this.position}, expected ${end})`);
    return values;
  }

  /** A varint as an unsigned 32-bit value (the low 32 bits of a longer one, as protobuf's uint32 reads it). */
  private varint(): number {
    const bytes = this.bytes;
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.position >= bytes.length) throw new RangeError('a varint runs past the end');
      const byte = bytes[this.position++];
      value |= (byte & 0x7f) << shift;
      if (byte < 0x80) return value >>> 0;
    }
    // Bytes 6..10 of a 64-bit varint (negative int32s): beyond 32 bits, dropped.
    for (let extra = 0; extra < 5; extra++) {
      if (this.position >= bytes.length) throw new RangeError('a varint runs past the end');
      if (bytes[this.position++] < 0x80) return value >>> 0;
    }
    throw new RangeError('a varint longer than 10 bytes');
  }

  private skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.advance(8);
    else if (wireType === 2) this.advance(this.varint());
    else if (wireType === 5) this.advance(4);
    else throw new RangeError(`wire type ${wireType} cannot be skipped`);
  }

  private advance(length: number): number {
    const end = this.position + length;
    if (end > this.bytes.length) throw new RangeError(`a field of ${length} bytes runs past the end`);
    this.position = end;
    return end;
  }

  private expect(wireType: number, expected: number, name: string): void {
    if (wireType !== expected) throw new RangeError(`${name}: wire type ${wireType}, expected ${expected}`);
  }
}

function append(before: ArrayLike<number>, added: Uint32Array | Int32Array | Uint8Array, column: ColumnType): Uint32Array | Int32Array | Uint8Array {
  if (before.length === 0) return added;
  const joined = new column(before.length + added.length);
  joined.set(before as never);
  joined.set(added as never, before.length);
  return joined;
}
