import { ValidationError, type ValidationIssue } from '../errors';
import { CounterRandom, Stream, cumulativeWeights } from '../engine/random';
import { handsetsOfShard } from '../engine/shard';
import {
  ANXIETY_MAX_PERMILLE,
  ANXIETY_MIN_PERMILLE,
  DEFAULT_ENROLLMENT_WINDOW_MINUTES,
  APP_VERSION_CODES,
  HYPERVISOR_VERSIONS,
  INITIAL_CHARGE_MIN_PERMILLE,
  INTENSITY_MAX,
  INTENSITY_MIN,
  NEWER_HYPERVISOR_SHARE,
  NO_PASSCODE_SHARE,
  NUMERIC_PASSCODE_SHARE,
  OVERNIGHT_CHARGER_SHARE,
} from './calibration';
import { CATALOGUE, modelIndexByName } from './catalogue';
import { FleetSchedule, NEVER } from './fleet-schedule';
import { versionCode } from './policy';

export interface Weighted {
  readonly name: string;
  readonly weight: number;
}

/** What a fleet is made of. Every handset's attributes are drawn from the seed and its id alone. */
export interface FleetSpec {
  readonly handsets: number;
  /** Catalogue model names with weights; default: every catalogue model, equal weights. */
  readonly models?: readonly Weighted[];
  readonly regions?: readonly Weighted[];
  readonly groups?: readonly Weighted[];
  /** Multipliers on each persona's interaction rate (1 = Böhmer et al. average). */
  readonly personalIntensity?: number;
  readonly businessIntensity?: number;
  /** Business worlds start provisioning within this many simulated minutes of the run's start. */
  readonly enrollmentWindowMinutes?: number;
}

export interface ResolvedFleet {
  readonly handsets: number;
  readonly modelNames: readonly string[];
  readonly modelCumulative: Float64Array;
  /** Catalogue index for each entry of modelNames. */
  readonly modelCatalogueIndex: readonly number[];
  readonly regionNames: readonly string[];
  readonly regionCumulative: Float64Array;
  readonly groupNames: readonly string[];
  readonly groupCumulative: Float64Array;
  readonly personalIntensity: number;
  readonly businessIntensity: number;
  readonly enrollmentWindowMinutes: number;
  /** Ramp, power losses and service restarts (prepareRun resolves them; resolveFleet gives none). */
  readonly schedule: FleetSchedule;
}

const MAX_HANDSETS = 10_000_000; // a bound that keeps typed arrays within one process
const MAX_DIMENSION_VALUES = 255; // region and group codes are stored in Uint8 columns

export function resolveFleet(spec: FleetSpec): ResolvedFleet {
  const issues: ValidationIssue[] = [];
  if (!Number.isInteger(spec.handsets) || spec.handsets < 1 || spec.handsets > MAX_HANDSETS) {
    issues.push({ path: 'fleet.handsets', rule: 'range', message: `must be an integer in 1..${MAX_HANDSETS}, got ${spec.handsets}` });
  }
  const models = spec.models ?? CATALOGUE.map((model) => ({ name: model.name, weight: 1 }));
  const modelCatalogueIndex: number[] = [];
  models.forEach((entry, i) => {
    try {
      modelCatalogueIndex.push(modelIndexByName(entry.name));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      issues.push({ path: `fleet.models.${i}.name`, rule: 'enum', message: error.issues[0].message });
    }
  });
  checkWeights('fleet.models', models, issues);
  const regions = spec.regions ?? [{ name: 'default', weight: 1 }];
  const groups = spec.groups ?? [{ name: 'default', weight: 1 }];
  checkWeights('fleet.regions', regions, issues);
  checkWeights('fleet.groups', groups, issues);
  checkPositive('fleet.personalIntensity', spec.personalIntensity, issues);
  checkPositive('fleet.businessIntensity', spec.businessIntensity, issues);
  const window = spec.enrollmentWindowMinutes ?? DEFAULT_ENROLLMENT_WINDOW_MINUTES;
  if (!Number.isInteger(window) || window < 0) {
    issues.push({ path: 'fleet.enrollmentWindowMinutes', rule: 'min', message: `must be an integer ≥ 0, got ${window}` });
  }
  if (issues.length > 0) throw new ValidationError('fleet', issues);
  return {
    handsets: spec.handsets,
    modelNames: models.map((entry) => entry.name),
    modelCumulative: cumulativeWeights(models.map((entry) => entry.weight)),
    modelCatalogueIndex,
    regionNames: regions.map((entry) => entry.name),
    regionCumulative: cumulativeWeights(regions.map((entry) => entry.weight)),
    groupNames: groups.map((entry) => entry.name),
    groupCumulative: cumulativeWeights(groups.map((entry) => entry.weight)),
    personalIntensity: spec.personalIntensity ?? 1,
    businessIntensity: spec.businessIntensity ?? 1,
    enrollmentWindowMinutes: window,
    schedule: FleetSchedule.always(spec.handsets),
  };
}

function checkWeights(path: string, entries: readonly Weighted[], issues: ValidationIssue[]): void {
  if (entries.length === 0 || entries.length > MAX_DIMENSION_VALUES) {
    issues.push({ path, rule: 'length', message: `must list 1..${MAX_DIMENSION_VALUES} entries, got ${entries.length}` });
    return;
  }
  const names = new Set<string>();
  entries.forEach((entry, i) => {
    if (typeof entry.name !== 'string' || entry.name.length === 0)
      issues.push({ path: `${path}.${i}.name`, rule: 'required', message: 'must be a non-empty string' });
    else if (names.has(entry.name)) issues.push({ path: `${path}.${i}.name`, rule: 'unique', message: `"${entry.name}" is listed twice` });
    names.add(entry.name);
    if (!(typeof entry.weight === 'number' && entry.weight >= 0 && Number.isFinite(entry.weight))) {
      issues.push({ path: `${path}.${i}.weight`, rule: 'min', message: `must be a finite number ≥ 0, got ${entry.weight}` });
    }
  });
  if (entries.every((entry) => entry.weight === 0)) issues.push({ path, rule: 'positive-total', message: 'weights must not all be zero' });
}

function checkPositive(path: string, value: number | undefined, issues: ValidationIssue[]): void {
  if (value !== undefined && !(value > 0 && Number.isFinite(value)))
    issues.push({ path, rule: 'positive', message: `must be a finite number > 0, got ${value}` });
}

/**
 * Static attributes of the handsets one shard owns, as columns (docs/design.md#scale-and-performance). Index i of every
 * column is the handset `ids[i]`.
 */
export class FleetShard {
  readonly ids: Uint32Array;
  readonly size: number;
  readonly model: Uint8Array; // catalogue index
  readonly region: Uint8Array;
  readonly group: Uint8Array;
  readonly intensity: Float32Array; // interaction-rate multiplier of the owner
  readonly overnightCharger: Uint8Array;
  readonly anxietyPermille: Uint16Array; // battery level at which the owner looks for a charger
  readonly enrollmentTick: Int32Array; // tick at which the business world starts provisioning
  readonly hypervisorVersionCode: Uint32Array;
  readonly initialPasscodeRank: Uint8Array;
  readonly initialBatteryPermille: Uint16Array;
  readonly joinRank: Uint32Array; // in the fleet at ticks where schedule.handsetsPresentAt(tick) > joinRank
  readonly powerLossMask: Uint32Array; // bit k: in power-loss batch k of the schedule
  // random.streamKey(id, 0, USER_INTERACTION): the owner's every-tick draw, in both persona runtimes.
  readonly interactionKey: Uint32Array;

  constructor(
    readonly fleet: ResolvedFleet,
    readonly shard: number,
    readonly shards: number,
    private readonly random: CounterRandom,
    tickSeconds: number,
  ) {
    this.ids = handsetsOfShard(shard, shards, fleet.handsets);
    const n = (this.size = this.ids.length);
    this.model = new Uint8Array(n);
    this.region = new Uint8Array(n);
    this.group = new Uint8Array(n);
    this.intensity = new Float32Array(n);
    this.overnightCharger = new Uint8Array(n);
    this.anxietyPermille = new Uint16Array(n);
    this.enrollmentTick = new Int32Array(n);
    this.hypervisorVersionCode = new Uint32Array(n);
    this.initialPasscodeRank = new Uint8Array(n);
    this.initialBatteryPermille = new Uint16Array(n);
    this.joinRank = new Uint32Array(n);
    this.powerLossMask = new Uint32Array(n);
    this.interactionKey = new Uint32Array(n);
    const schedule = fleet.schedule;
    const windowTicks = Math.floor((fleet.enrollmentWindowMinutes * 60) / tickSeconds);
    const older = versionCode(HYPERVISOR_VERSIONS[0]);
    const newer = versionCode(HYPERVISOR_VERSIONS[1]);
    const logSpread = Math.log(INTENSITY_MAX / INTENSITY_MIN);
    for (let i = 0; i < n; i++) {
      const id = this.ids[i];
      // Attributes are drawn at tick 0 on their own streams: a pure function of (seed, id).
      this.model[i] = fleet.modelCatalogueIndex[random.pick(fleet.modelCumulative, id, 0, Stream.FLEET_MODEL, 0)];
      this.region[i] = random.pick(fleet.regionCumulative, id, 0, Stream.FLEET_REGION, 0);
      this.group[i] = random.pick(fleet.groupCumulative, id, 0, Stream.FLEET_GROUP, 0);
      this.intensity[i] = INTENSITY_MIN * Math.exp(logSpread * random.uniform(id, 0, Stream.FLEET_INTENSITY, 0));
      this.overnightCharger[i] = random.uniform(id, 0, Stream.FLEET_CHARGING_HABIT, 0) < OVERNIGHT_CHARGER_SHARE ? 1 : 0;
      this.anxietyPermille[i] =
        ANXIETY_MIN_PERMILLE + Math.floor(random.uniform(id, 0, Stream.FLEET_CHARGING_HABIT, 1) * (ANXIETY_MAX_PERMILLE - ANXIETY_MIN_PERMILLE + 1));
      // The business world starts provisioning within the window after the handset joins the fleet.
      this.joinRank[i] = schedule.joinRank(id);
      const joinTick = schedule.firstPresentTick(this.joinRank[i]);
      this.enrollmentTick[i] = joinTick === NEVER ? NEVER : joinTick + Math.floor(random.uniform(id, 0, Stream.FLEET_ENROLLMENT, 0) * (windowTicks + 1));
      this.interactionKey[i] = random.streamKey(id, 0, Stream.USER_INTERACTION);
      this.powerLossMask[i] = schedule.powerLossCount === 0 ? 0 : schedule.powerLossMaskOf(id, this.region[i], this.group[i]);
      this.hypervisorVersionCode[i] = random.uniform(id, 0, Stream.FLEET_HYPERVISOR_VERSION, 0) < NEWER_HYPERVISOR_SHARE ? newer : older;
      const passcode = random.uniform(id, 0, Stream.FLEET_PASSCODE, 0);
      // Ranks follow policy.ts's passwordQualityRank: 0 none, 3 NUMERIC, 6 ALPHANUMERIC.
      this.initialPasscodeRank[i] = passcode < NO_PASSCODE_SHARE ? 0 : passcode < NO_PASSCODE_SHARE + (1 - NO_PASSCODE_SHARE) * NUMERIC_PASSCODE_SHARE ? 3 : 6;
      this.initialBatteryPermille[i] =
        INITIAL_CHARGE_MIN_PERMILLE + Math.floor(random.uniform(id, 0, Stream.FLEET_BATTERY, 0) * (1001 - INITIAL_CHARGE_MIN_PERMILLE));
    }
  }

  /**
   * The version of `app` the handset's business image comes with: every app its own draw (counter
   * app - 1), so a minimumVersionCode on any app has a version to judge. Drawn when a business world
   * is provisioned rather than kept as APP_SLOTS columns: it is read only then.
   */
  provisionedAppVersionCode(index: number, app: number): number {
    if (app === 0) return 0; // slot 0 is no app
    return APP_VERSION_CODES[Math.floor(this.random.uniform(this.ids[index], 0, Stream.FLEET_APP_VERSION, app - 1) * APP_VERSION_CODES.length)];
  }

  catalogueModel(index: number) {
    return CATALOGUE[this.model[index]];
  }
}
