// A model object's state as named typed columns: what a checkpoint (the services' scale-out
// checkpoints, `duet run`'s fork checkpoints) copies out and back. Generic over the object's own
// enumerable typed arrays, so a column a model class gains is carried without more code.

export type TypedColumn = Uint8Array | Uint16Array | Uint32Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
/** Named columns and numbers, as snapshots hold them. */
export type ColumnState = Record<string, TypedColumn | number | readonly string[]>;

function isColumn(value: unknown): value is TypedColumn {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

/** Every typed column an object holds as an own property, under `prefix.name`. */
export function columnsOf(prefix: string, holder: object): Record<string, TypedColumn> {
  const columns: Record<string, TypedColumn> = {};
  for (const [name, value] of Object.entries(holder)) if (isColumn(value)) columns[`${prefix}.${name}`] = value;
  return columns;
}

/** Whether an object holds any typed column as an own property. */
export function holdsColumns(holder: unknown): holder is object {
  return typeof holder === 'object' && holder !== null && !isColumn(holder) && Object.values(holder).some(isColumn);
}

/**
 * Copies the state's columns `prefix.name` into the same-named columns of `holder` (the model's
 * classes allocate their columns once and keep them), checking that each one is there with the
 * same length and type: a snapshot of another shard or layout is refused, not half applied.
 */
export function restoreColumns(prefix: string, holder: object, state: ColumnState): void {
  for (const [name, target] of Object.entries(holder)) {
    if (!isColumn(target)) continue;
    const stored = state[`${prefix}.${name}`];
    if (!isColumn(stored)) throw new RangeError(`checkpoint lacks column ${prefix}.${name}`);
    if (stored.length !== target.length || stored.constructor !== target.constructor) {
      throw new RangeError(
        `checkpoint column ${prefix}.${name} has ${stored.length} ${stored.constructor.name} values, the shard ${target.length} ${target.constructor.name}`,
      );
    }
    target.set(stored as never);
  }
}
