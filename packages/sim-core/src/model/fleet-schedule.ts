// What happens to the fleet from outside the handsets, tick by tick: handsets joining (and
// leaving) in a k6-style ramp, batches of handsets losing power, and the restarts of the services
// the handsets depend on. Every answer is a pure function of the run's config, the seed, the
// handset id and the tick, so each role of each shard (core or service) derives the same schedule
// from the run's config alone and shard layout never changes the result (docs/design.md#time-shards-and-determinism).
import { SeededPermutation } from '../engine/permutation';
import { CounterRandom, Stream } from '../engine/random';
import type { ValidationIssue } from '../errors';

/** A ramp stage: over `ticks` ticks, move linearly to `handsets` handsets in the fleet (k6 `stages`). */
export interface RampStageSpec {
  readonly ticks: number;
  readonly handsets: number;
}

/** A batch of handsets without power from `fromTick` (inclusive) to `toTick` (exclusive). */
export interface PowerLossSpec {
  /** How many handsets: a count, or `percent` of those that match region and group. */
  readonly handsets?: number;
  readonly percent?: number;
  readonly region?: string;
  readonly group?: string;
  readonly fromTick: number;
  readonly toTick: number;
}

export const RESTARTABLE_SERVICES = ['hypervisor-core', 'policy-authority'] as const;
export type RestartableService = (typeof RESTARTABLE_SERVICES)[number];

/** A service of the back end restarts at `tick` and is away for `downTicks` ticks. */
export interface ServiceRestartSpec {
  readonly service: string;
  readonly tick: number;
  readonly downTicks: number;
}

export const MAX_POWER_LOSSES = 32; // one bit each in FleetShard.powerLossMask
export const NEVER = 0x7fffffff; // a tick no run reaches (Int32 columns)

/** What a ramp, power losses and restarts need of the fleet: its size and how ids map to regions and groups. */
export interface FleetDimensions {
  readonly handsets: number;
  readonly regionNames: readonly string[];
  readonly regionCumulative: Float64Array;
  readonly groupNames: readonly string[];
  readonly groupCumulative: Float64Array;
}

interface PowerLossBatch {
  readonly fromTick: number;
  readonly toTick: number;
  readonly region: number; // -1: every region
  readonly group: number; // -1: every group
  readonly order: SeededPermutation;
  /** Matching handsets whose rank in `order` is below this limit are in the batch. */
  readonly rankLimit: number;
}

interface Window {
  readonly fromTick: number;
  readonly toTick: number;
}

export class FleetSchedule {
  private readonly joinOrder: SeededPermutation | undefined;

  private constructor(
    readonly handsets: number,
    private readonly ramp: readonly RampStageSpec[] | undefined,
    joinKey: number,
    private readonly powerLosses: readonly PowerLossBatch[],
    private readonly hypervisorRestarts: readonly Window[],
    private readonly reconnectTicks: ReadonlySet<number>,
  ) {
    this.joinOrder = ramp === undefined ? undefined : new SeededPermutation(handsets, joinKey);
  }

  /** Every handset in the fleet from tick 0, nothing failing: a run without ramp and faults. */
  static always(handsets: number): FleetSchedule {
    return new FleetSchedule(handsets, undefined, 0, [], [], new Set());
  }

  get hasRamp(): boolean {
    return this.ramp !== undefined;
  }

  get powerLossCount(): number {
    return this.powerLosses.length;
  }

  /** A handset's place in the join order: it is in the fleet at ticks where handsetsPresentAt > its rank. */
  joinRank(id: number): number {
    return this.joinOrder === undefined ? 0 : this.joinOrder.rankOf(id);
  }

  /** How many handsets are in the fleet at `tick`: linear between stage targets, from 0 at tick 0 (k6 with startVUs 0). */
  handsetsPresentAt(tick: number): number {
    const ramp = this.ramp;
    if (ramp === undefined) return this.handsets;
    let start = 0;
    let from = 0;
    for (const stage of ramp) {
      if (tick < start + stage.ticks) return stageCount(from, stage, tick - start);
      start += stage.ticks;
      from = stage.handsets;
    }
    return from; // the last target holds until the run ends
  }

  /** First tick at which the handset of this join rank is in the fleet (NEVER if the ramp never reaches it). */
  firstPresentTick(rank: number): number {
    const ramp = this.ramp;
    if (ramp === undefined) return 0;
    let start = 0;
    let from = 0;
    for (const stage of ramp) {
      if (from > rank) return start;
      if (stage.handsets > rank) {
        if (stage.ticks === 0) return start;
        // The count rises past `rank` inside this stage: the smallest offset where it does.
        let low = 0;
        let high = stage.ticks;
        while (low < high) {
          const middle = (low + high) >>> 1;
          if (stageCount(from, stage, middle) > rank) high = middle;
          else low = middle + 1;
        }
        return start + low;
      }
      start += stage.ticks;
      from = stage.handsets;
    }
    return from > rank ? start : NEVER;
  }

  /** Bit k set when the handset is in power-loss batch k. */
  powerLossMaskOf(id: number, region: number, group: number): number {
    let mask = 0;
    this.powerLosses.forEach((batch, k) => {
      if (batch.region >= 0 && batch.region !== region) return;
      if (batch.group >= 0 && batch.group !== group) return;
      if (batch.order.rankOf(id) < batch.rankLimit) mask |= 1 << k;
    });
    return mask >>> 0;
  }

  /** Bits of the power-loss batches without power at `tick`. */
  powerLossesAt(tick: number): number {
    let mask = 0;
    this.powerLosses.forEach((batch, k) => {
      if (tick >= batch.fromTick && tick < batch.toTick) mask |= 1 << k;
    });
    return mask >>> 0;
  }

  /** hypervisor-core restarts at `tick`: every guest world it hosts stops. */
  guestsRestartAt(tick: number): boolean {
    return this.hypervisorRestarts.some((window) => window.fromTick === tick);
  }

  /** hypervisor-core is away at `tick`: no guest world can boot. */
  hypervisorDownAt(tick: number): boolean {
    return this.hypervisorRestarts.some((window) => tick >= window.fromTick && tick < window.toTick);
  }

  /** Agents check in at their next chance from `tick` on, whatever their interval (a service they depend on came back). */
  agentsReconnectAt(tick: number): boolean {
    return this.reconnectTicks.has(tick);
  }

  /**
   * Resolves the ramp, power losses and restarts of a run, adding every problem to `issues` (paths
   * `ramp.i.*`, `powerLosses.i.*`, `serviceRestarts.i.*`). Power-loss batches are exact: the first
   * `count` matching handsets in a seeded order, found by walking that order from rank 0.
   */
  static resolve(
    fleet: FleetDimensions,
    random: CounterRandom,
    specs: { ramp?: readonly RampStageSpec[]; powerLosses?: readonly PowerLossSpec[]; serviceRestarts?: readonly ServiceRestartSpec[] },
    issues: ValidationIssue[],
  ): FleetSchedule {
    const handsets = fleet.handsets;
    const { ramp, powerLosses = [], serviceRestarts = [] } = specs;
    if (ramp !== undefined) {
      if (ramp.length === 0) issues.push({ path: 'ramp', rule: 'length', message: 'must list at least one stage' });
      ramp.forEach((stage, i) => {
        if (!Number.isInteger(stage.ticks) || stage.ticks < 0)
          issues.push({ path: `ramp.${i}.ticks`, rule: 'min', message: `must be an integer ≥ 0, got ${stage.ticks}` });
        if (!Number.isInteger(stage.handsets) || stage.handsets < 0 || stage.handsets > handsets)
          issues.push({ path: `ramp.${i}.handsets`, rule: 'range', message: `must be an integer in 0..${handsets} (the fleet), got ${stage.handsets}` });
      });
    }
    if (powerLosses.length > MAX_POWER_LOSSES)
      issues.push({ path: 'powerLosses', rule: 'length', message: `at most ${MAX_POWER_LOSSES} power losses per run, got ${powerLosses.length}` });
    const batches: PowerLossBatch[] = [];
    powerLosses.forEach((spec, k) => {
      const batch = resolvePowerLoss(fleet, random, spec, k, issues);
      if (batch !== undefined) batches.push(batch);
    });
    const hypervisorRestarts: Window[] = [];
    const reconnects = new Set<number>();
    serviceRestarts.forEach((restart, i) => {
      const known = (RESTARTABLE_SERVICES as readonly string[]).includes(restart.service);
      if (!known)
        issues.push({
          path: `serviceRestarts.${i}.service`,
          rule: 'enum',
          message: `must be one of ${RESTARTABLE_SERVICES.join(', ')}, got "${restart.service}"`,
        });
      if (!Number.isInteger(restart.tick) || restart.tick < 0)
        issues.push({ path: `serviceRestarts.${i}.tick`, rule: 'min', message: `must be an integer ≥ 0, got ${restart.tick}` });
      if (!Number.isInteger(restart.downTicks) || restart.downTicks < 0)
        issues.push({ path: `serviceRestarts.${i}.downTicks`, rule: 'min', message: `must be an integer ≥ 0, got ${restart.downTicks}` });
      if (restart.service === 'hypervisor-core') {
        hypervisorRestarts.push({ fromTick: restart.tick, toTick: restart.tick + restart.downTicks });
        // The agents lose their world with it; each checks in as soon as its world runs again.
        reconnects.add(restart.tick);
      } else if (restart.service === 'policy-authority') {
        reconnects.add(restart.tick + restart.downTicks);
      }
    });
    return new FleetSchedule(handsets, ramp, random.bits(0, 0, Stream.FLEET_JOIN_ORDER, 0), batches, hypervisorRestarts, reconnects);
  }
}

function stageCount(from: number, stage: RampStageSpec, offset: number): number {
  const delta = stage.handsets - from;
  return from + Math.sign(delta) * Math.floor((Math.abs(delta) * offset) / stage.ticks);
}

function resolvePowerLoss(
  fleet: FleetDimensions,
  random: CounterRandom,
  spec: PowerLossSpec,
  k: number,
  issues: ValidationIssue[],
): PowerLossBatch | undefined {
  const path = `powerLosses.${k}`;
  const before = issues.length;
  const region = spec.region === undefined ? -1 : fleet.regionNames.indexOf(spec.region);
  const group = spec.group === undefined ? -1 : fleet.groupNames.indexOf(spec.group);
  if (spec.region !== undefined && region < 0)
    issues.push({ path: `${path}.region`, rule: 'enum', message: `unknown region "${spec.region}"; known: ${fleet.regionNames.join(', ')}` });
  if (spec.group !== undefined && group < 0)
    issues.push({ path: `${path}.group`, rule: 'enum', message: `unknown group "${spec.group}"; known: ${fleet.groupNames.join(', ')}` });
  if ((spec.handsets === undefined) === (spec.percent === undefined))
    issues.push({ path: `${path}.handsets`, rule: 'one-of', message: 'give exactly one of handsets (a count) and percent' });
  if (spec.handsets !== undefined && !(Number.isInteger(spec.handsets) && spec.handsets >= 1))
    issues.push({ path: `${path}.handsets`, rule: 'min', message: `must be an integer ≥ 1, got ${spec.handsets}` });
  if (spec.percent !== undefined && !(spec.percent > 0 && spec.percent <= 100))
    issues.push({ path: `${path}.percent`, rule: 'range', message: `must be in (0, 100], got ${spec.percent}` });
  if (!Number.isInteger(spec.fromTick) || spec.fromTick < 0)
    issues.push({ path: `${path}.fromTick`, rule: 'min', message: `must be an integer ≥ 0, got ${spec.fromTick}` });
  if (!(Number.isInteger(spec.toTick) && spec.toTick > spec.fromTick))
    issues.push({
      path: `${path}.toTick`,
      rule: 'greater-than-fromTick',
      message: `must be an integer greater than fromTick (${spec.fromTick}), got ${spec.toTick}`,
    });
  if (issues.length > before) return undefined;

  // Region and group are drawn as FleetShard draws them: a pure function of (seed, id).
  const matches = (id: number) =>
    (region < 0 || random.pick(fleet.regionCumulative, id, 0, Stream.FLEET_REGION, 0) === region) &&
    (group < 0 || random.pick(fleet.groupCumulative, id, 0, Stream.FLEET_GROUP, 0) === group);
  const filtered = region >= 0 || group >= 0;
  let count = spec.handsets;
  if (count === undefined) {
    let matching = fleet.handsets;
    if (filtered) {
      matching = 0;
      for (let id = 0; id < fleet.handsets; id++) if (matches(id)) matching++;
    }
    count = Math.round((matching * spec.percent!) / 100);
  }
  const order = new SeededPermutation(fleet.handsets, random.bits(k, 0, Stream.FAULT_POWER_LOSS, 0));
  let found = 0;
  let rankLimit = 0;
  for (let rank = 0; rank < fleet.handsets && found < count; rank++) {
    if (!filtered || matches(order.idAt(rank))) found++;
    rankLimit = rank + 1;
  }
  if (found < count) {
    issues.push({ path: `${path}.handsets`, rule: 'max', message: `asks for ${count} handsets; only ${found} match its region and group` });
    return undefined;
  }
  return { fromTick: spec.fromTick, toTick: spec.toTick, region, group, order, rankLimit: count === 0 ? 0 : rankLimit };
}
