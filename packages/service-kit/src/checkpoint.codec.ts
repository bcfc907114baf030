// A shard's state as bytes for its checkpoint: named typed columns, small numbers and strings
// (device credentials), in one deflated buffer. The layout is a JSON header naming each part,
// its type and byte length, followed by the parts' bytes in header order; the typed arrays' bytes
// are copied as they are (little-endian, as on every platform the services run on).
import { deflateRawSync, inflateRawSync, constants } from 'node:zlib';
import type { TypedColumn } from '@duet/sim-core';

// The column helpers live with the model classes they read (sim-core); the services reach them here.
export { columnsOf, restoreColumns, type TypedColumn } from '@duet/sim-core';
export type CheckpointValue = TypedColumn | number | readonly string[];
export type CheckpointState = Record<string, CheckpointValue>;

const COLUMN_TYPES = { Uint8Array, Uint16Array, Uint32Array, Int8Array, Int16Array, Int32Array, Float32Array, Float64Array } as const;
type ColumnTypeName = keyof typeof COLUMN_TYPES;

interface PartHeader {
  readonly name: string;
  readonly kind: ColumnTypeName | 'number' | 'strings';
  readonly bytes: number;
}

/** Fast over small: a checkpoint is written every K ticks on the critical path of a tick. */
const DEFLATE_LEVEL = constants.Z_BEST_SPEED;

export function encodeCheckpointState(state: CheckpointState): Uint8Array {
  const headers: PartHeader[] = [];
  const parts: Uint8Array[] = [];
  for (const [name, value] of Object.entries(state)) {
    let bytes: Uint8Array;
    let kind: PartHeader['kind'];
    if (typeof value === 'number') {
      kind = 'number';
      bytes = new Uint8Array(new Float64Array([value]).buffer);
    } else if (ArrayBuffer.isView(value)) {
      kind = value.constructor.name as ColumnTypeName;
      if (!(kind in COLUMN_TYPES)) throw new TypeError(`checkpoint part ${name}: unsupported column type ${kind}`);
      bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    } else {
      kind = 'strings';
      bytes = Buffer.from(JSON.stringify(value), 'utf8');
    }
    headers.push({ name, kind, bytes: bytes.byteLength });
    parts.push(bytes);
  }
  const header = Buffer.from(JSON.stringify(headers), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.byteLength);
  return deflateRawSync(Buffer.concat([length, header, ...parts]), { level: DEFLATE_LEVEL });
}

export function decodeCheckpointState(bytes: Uint8Array): CheckpointState {
  const raw = inflateRawSync(bytes);
  const headerLength = raw.readUInt32LE(0);
  const headers = JSON.parse(raw.subarray(4, 4 + headerLength).toString('utf8')) as PartHeader[];
  const state: CheckpointState = {};
  let offset = 4 + headerLength;
  for (const { name, kind, bytes } of headers) {
    const part = raw.subarray(offset, offset + bytes);
    offset += bytes;
    if (kind === 'number') state[name] = new Float64Array(part.buffer.slice(part.byteOffset, part.byteOffset + 8))[0];
    else if (kind === 'strings') state[name] = JSON.parse(part.toString('utf8')) as string[];
    else {
      const Column = COLUMN_TYPES[kind];
      if (Column === undefined) throw new TypeError(`checkpoint part ${name}: unknown column type ${kind}`);
      // A copy, aligned for the column's element size.
      state[name] = new Column(part.buffer.slice(part.byteOffset, part.byteOffset + bytes));
    }
  }
  return state;
}
