// A seeded permutation of the handset ids 0..size-1, computed per id with no table: a balanced
// Feistel network over the smallest even number of bits that holds `size`, with cycle walking to
// stay inside the range (the construction format-preserving encryption uses). Ranks drawn this
// way are a pure function of (key, id), so a ramp's join order or a fault's chosen batch is the
// same whatever the shard count, and any rank can be turned back into its id (to pick the first
// k handsets that match a filter without sorting the fleet).
import { mix32 } from './random';

const ROUNDS = 4; // Luby–Rackoff: 4 rounds make a strong pseudo-random permutation
const GOLDEN_RATIO_32 = 0x9e3779b9;

export class SeededPermutation {
  private readonly halfBits: number;
  private readonly halfMask: number;
  private readonly roundKeys: Uint32Array;

  constructor(
    readonly size: number,
    key: number,
  ) {
    if (!Number.isInteger(size) || size < 1 || size > 2 ** 30) throw new RangeError(`permutation size must be an integer in 1..2^30, got ${size}`);
    let bits = 2;
    while (2 ** bits < size) bits++;
    if (bits % 2 === 1) bits++;
    this.halfBits = bits / 2;
    this.halfMask = (1 << this.halfBits) - 1;
    this.roundKeys = new Uint32Array(ROUNDS);
    let state = key >>> 0;
    for (let round = 0; round < ROUNDS; round++) this.roundKeys[round] = state = mix32((state + GOLDEN_RATIO_32) >>> 0);
  }

  /** The rank of `id` (0..size-1). */
  rankOf(id: number): number {
    let value = this.encrypt(id);
    // Cycle walking: the walk returns into range within the cycle of `id`, which holds `id` itself.
    while (value >= this.size) value = this.encrypt(value);
    return value;
  }

  /** The id whose rank is `rank`. */
  idAt(rank: number): number {
    let value = this.decrypt(rank);
    while (value >= this.size) value = this.decrypt(value);
    return value;
  }

  private encrypt(value: number): number {
    let left = value >>> this.halfBits;
    let right = value & this.halfMask;
    for (let round = 0; round < ROUNDS; round++) {
      const next = (left ^ this.mix(round, right)) & this.halfMask;
      left = right;
      right = next;
    }
    return ((left << this.halfBits) | right) >>> 0;
  }

  private decrypt(value: number): number {
    let left = value >>> this.halfBits;
    let right = value & this.halfMask;
    for (let round = ROUNDS - 1; round >= 0; round--) {
      const previous = (right ^ this.mix(round, left)) & this.halfMask;
      right = left;
      left = previous;
    }
    return ((left << this.halfBits) | right) >>> 0;
  }

  private mix(round: number, half: number): number {
    return mix32((this.roundKeys[round] ^ half) >>> 0);
  }
}
