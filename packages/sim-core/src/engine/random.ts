// Counter-based randomness (docs/design.md#time-shards-and-determinism): a value is a pure function of
// (seed, handset, persona, stream, tick). No generator state is carried between calls, so results
// never depend on processing order, shard count, process layout or restarts.
//
// The mixer is MurmurHash3's 32-bit finaliser applied once per input word, the same construction
// as "Squirrel noise"-style position hashes used by procedural generators: cheap (a few
// multiplications), allocation-free, and well distributed for sequential counters.

const GOLDEN_RATIO_32 = 0x9e3779b9; // 2^32 / φ, separates consecutive inputs
const TWO_POW_32 = 4294967296;

function finalise(value: number): number {
  let h = value;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Folds a user seed (any safe integer) to 32 bits without losing its high part. */
export function foldSeed(seed: number): number {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  const low = seed >>> 0;
  const high = Math.floor(seed / TWO_POW_32) >>> 0;
  return finalise(finalise(low ^ GOLDEN_RATIO_32) ^ high);
}

/** Named streams keep independent decisions independent (two draws never share a counter). */
export const Stream = {
  FLEET_MODEL: 1,
  FLEET_REGION: 2,
  FLEET_GROUP: 3,
  FLEET_OWNER: 4,
  FLEET_PASSCODE: 5,
  FLEET_HYPERVISOR_VERSION: 6,
  FLEET_CHARGING_HABIT: 7,
  FLEET_ENROLLMENT: 8,
  FLEET_INTENSITY: 9,
  FLEET_BATTERY: 10,
  FLEET_APP_VERSION: 11,
  FLEET_JOIN_ORDER: 12, // the order handsets join in a ramp
  USER_INTERACTION: 20,
  USER_PERSONA: 21,
  USER_APP: 22,
  USER_DURATION: 23,
  USER_DURATION_TAIL: 24,
  CHARGING: 30,
  FLOW_ATTEMPT: 40,
  FLOW_KIND: 41,
  AGENT_VPN: 50,
  AGENT_PASSCODE_FIX: 51,
  AGENT_APP_UPDATE: 52,
  GUEST_BOOT: 60,
  GUEST_UNLOCK: 61,
  FAULT_POWER_LOSS: 70, // which handsets a power-loss fault takes down
  AGENT_CHECK_IN_JITTER: 80, // the spread of each wait between check-ins
  AGENT_RETRY_JITTER: 81, // the spread of each backoff after a failed enrollment or check-in
} as const;

export class CounterRandom {
  readonly seed: number;
  private readonly seedHash: number;

  constructor(seed: number) {
    this.seed = seed;
    this.seedHash = foldSeed(seed);
  }

  /** Unsigned 32-bit value for the counter (handset, persona, stream, tick). */
  bits(handset: number, persona: number, stream: number, tick: number): number {
    return finalise((this.streamKey(handset, persona, stream) + GOLDEN_RATIO_32) ^ tick);
  }

  /**
   * The part of a draw's hash that (handset, persona, stream) fix, for a draw made every tick:
   * kept in a column, it saves two of the three mixing rounds per draw ({@link uniformAt}).
   */
  streamKey(handset: number, persona: number, stream: number): number {
    const h = finalise(this.seedHash ^ handset);
    return finalise((h + GOLDEN_RATIO_32) ^ ((persona << 16) | stream));
  }

  /** The same value as uniform(handset, persona, stream, tick), given streamKey(handset, persona, stream). */
  uniformAt(key: number, tick: number): number {
    return finalise((key + GOLDEN_RATIO_32) ^ tick) / TWO_POW_32;
  }

  /** Uniform in [0, 1). */
  uniform(handset: number, persona: number, stream: number, tick: number): number {
    return this.bits(handset, persona, stream, tick) / TWO_POW_32;
  }

  /** Exponential with the given mean. */
  exponential(mean: number, handset: number, persona: number, stream: number, tick: number): number {
    return -Math.log(1 - this.uniform(handset, persona, stream, tick)) * mean;
  }

  /** Index drawn from cumulative weights (ascending, last = total). */
  pick(cumulative: ArrayLike<number>, handset: number, persona: number, stream: number, tick: number): number {
    const target = this.uniform(handset, persona, stream, tick) * cumulative[cumulative.length - 1];
    for (let i = 0; i < cumulative.length; i++) if (target < cumulative[i]) return i;
    return cumulative.length - 1;
  }
}

/** Cumulative sums of non-negative weights, for {@link CounterRandom.pick}. */
export function cumulativeWeights(weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    total += weights[i];
    out[i] = total;
  }
  return out;
}

export { finalise as mix32 };
