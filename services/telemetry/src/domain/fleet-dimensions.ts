// The static dimensions of every handset of a run (model, region, group), derived from the run's
// configuration alone: the fleet is a pure function of the seed and the handset id, so telemetry
// rebuilds it instead of asking the services that own the handsets.
import { CATALOGUE, FleetShard, prepareRun, type SimulationConfig } from '@duet/sim-core';

export class FleetDimensions {
  private constructor(
    readonly handsets: number,
    private readonly model: Uint8Array,
    private readonly region: Uint8Array,
    private readonly group: Uint8Array,
    /** Names by value code, for each dimension. */
    readonly regionNames: readonly string[],
    readonly groupNames: readonly string[],
  ) {}

  readonly modelNames: readonly string[] = CATALOGUE.map((model) => model.name);

  /** Validates the configuration (sim-core's ValidationError names every issue) and draws the fleet. */
  static fromConfig(config: SimulationConfig): FleetDimensions {
    const prepared = prepareRun(config);
    // Shard 0 of 1 holds every handset, ids ascending, so index = handset id.
    const fleet = new FleetShard(prepared.fleet, 0, 1, prepared.random, prepared.clock.tickSeconds);
    return new FleetDimensions(fleet.size, fleet.model, fleet.region, fleet.group, prepared.fleet.regionNames, prepared.fleet.groupNames);
  }

  /** Value codes: indices into modelNames, regionNames and groupNames. */
  modelCode(handsetId: number): number {
    return this.model[handsetId];
  }

  regionCode(handsetId: number): number {
    return this.region[handsetId];
  }

  groupCode(handsetId: number): number {
    return this.group[handsetId];
  }

  /** Catalogue name of the handset's model, e.g. `optimus-2x`. */
  modelOf(handsetId: number): string {
    return CATALOGUE[this.model[handsetId]].name;
  }

  regionOf(handsetId: number): string {
    return this.regionNames[this.region[handsetId]];
  }

  groupOf(handsetId: number): string {
    return this.groupNames[this.group[handsetId]];
  }
}
