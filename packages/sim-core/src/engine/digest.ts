import { createHash, type Hash } from 'node:crypto';

// The run digest (docs/design.md#time-shards-and-determinism): SHA-256 over the canonical per-tick KPIs and the final per-handset
// state. Every value is an integer written as a little-endian IEEE double (exact for safe
// integers), so no floating-point summation order can leak shard layout into the result.

export class DigestBuilder {
  private readonly word = Buffer.alloc(8);

  constructor(private readonly hash: Hash = createHash('sha256')) {}

  /** An independent builder that continues from what was added so far. */
  copy(): DigestBuilder {
    return new DigestBuilder(this.hash.copy());
  }

  integer(value: number): this {
    if (!Number.isSafeInteger(value)) throw new RangeError(`digest input must be a safe integer, got ${value}`);
    this.word.writeDoubleLE(value);
    this.hash.update(this.word);
    return this;
  }

  /** Adds a column of integers in order (a whole typed array at once). */
  column(values: ArrayLike<number>): this {
    const canonical = Float64Array.from(values);
    for (let i = 0; i < canonical.length; i++) {
      if (!Number.isSafeInteger(canonical[i])) throw new RangeError(`digest input must be a safe integer, got ${canonical[i]} at ${i}`);
    }
    const bytes = Buffer.from(canonical.buffer, canonical.byteOffset, canonical.byteLength);
    if (!LITTLE_ENDIAN) bytes.swap64();
    this.hash.update(bytes);
    return this;
  }

  text(value: string): this {
    this.integer(Buffer.byteLength(value));
    this.hash.update(value);
    return this;
  }

  hex(): string {
    return this.hash.digest('hex');
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
