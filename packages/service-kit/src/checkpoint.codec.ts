// A shard's state as bytes for its checkpoint: named typed columns, small numbers and strings
// (device credentials), in one deflated buffer. The layout is a JSON header naming each part,
// its type and byte length, followed by the parts' bytes in header order; the typed arrays' bytes
// are copied as they are (little-endian, as on every platform the services run on).
import { deflateRawSync, inflateRawSync, constants } from 'node:zlib';

export type TypedColumn = Uint8Array | Uint16Array | Uint32Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
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

/** Every typed column an object holds as an own property, under `prefix.name`. */
export function columnsOf(prefix: string, holder: object): CheckpointState {
  const columns: CheckpointState = {};
  for (const [name, value] of Object.entries(holder))
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) columns[`${prefix}.${name}`] = value as TypedColumn;
  return columns;
}

/**
 * Copies the checkpoint's columns `prefix.name` into the same-named columns of `holder` (the
 * model's classes allocate their columns once and keep them), checking that each one is there
 * with the same length: a checkpoint of another shard or layout is refused, not half applied.
 */
export function restoreColumns(prefix: string, holder: object, state: CheckpointState): void {
  for (const [name, target] of Object.entries(holder)) {
    if (!ArrayBuffer.isView(target) || target instanceof DataView) continue;
    const stored = state[`${prefix}.${name}`];
    const column = target as TypedColumn;
    if (stored === undefined || typeof stored === 'number' || !ArrayBuffer.isView(stored)) throw new RangeError(`checkpoint lacks column ${prefix}.${name}`);
    if (stored.length !== column.length || stored.constructor !== column.constructor) {
      throw new RangeError(
        `checkpoint column ${prefix}.${name} has ${stored.length} ${stored.constructor.name} values, the shard ${column.length} ${column.constructor.name}`,
      );
    }
    column.set(stored as never);
  }
}
