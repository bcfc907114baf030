// Domain events, emitted by behaviour and measured elsewhere (conventions.md principle 7). One buffer per
// shard and tick, columnar like the Kafka payload (proto/duet/events/v1): it grows by doubling and
// is reused across ticks, so emitting allocates nothing in steady state.

const INITIAL_CAPACITY = 1024; // events per shard per tick before the first growth

export class EventBuffer {
  kind = new Uint8Array(INITIAL_CAPACITY);
  handset = new Uint32Array(INITIAL_CAPACITY);
  persona = new Uint8Array(INITIAL_CAPACITY);
  a = new Int32Array(INITIAL_CAPACITY);
  b = new Int32Array(INITIAL_CAPACITY);
  length = 0;
  tick = 0;

  clear(tick: number): void {
    this.length = 0;
    this.tick = tick;
  }

  emit(kind: number, handset: number, persona: number, a: number, b: number): void {
    if (this.length === this.kind.length) this.grow();
    const i = this.length++;
    this.kind[i] = kind;
    this.handset[i] = handset;
    this.persona[i] = persona;
    this.a[i] = a;
    this.b[i] = b;
  }

  /** Appends every event of another buffer (used to merge per-role buffers of one shard). */
  append(other: EventBuffer): void {
    for (let i = 0; i < other.length; i++) this.emit(other.kind[i], other.handset[i], other.persona[i], other.a[i], other.b[i]);
  }

  private grow(): void {
    const capacity = this.kind.length * 2;
    this.kind = resize(this.kind, new Uint8Array(capacity));
    this.handset = resize(this.handset, new Uint32Array(capacity));
    this.persona = resize(this.persona, new Uint8Array(capacity));
    this.a = resize(this.a, new Int32Array(capacity));
    this.b = resize(this.b, new Int32Array(capacity));
  }
}

function resize<T extends Uint8Array | Uint32Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/** Receives each shard's events once per tick, after the tick completes. */
export interface EventSink {
  onEvents(shard: number, events: EventBuffer): void;
}
