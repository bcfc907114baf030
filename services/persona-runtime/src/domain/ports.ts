// The persona runtime's ports (conventions.md principle 3): its peers, each with a gRPC adapter
// (networked) and an in-process one (embedded). Messages are the contracts' generated types.
import type { events, hypervisor, policy } from '@duet/contracts';
import type { EventBuffer, StateColumns } from '@duet/sim-core';
import type { Divergence } from './divergence';

/** A peer that is not reachable now but may be soon: the runner retries with backoff. */
export class PeerUnavailable extends Error {
  constructor(
    readonly peer: string,
    message: string,
  ) {
    super(`${peer} unavailable: ${message}`);
    this.name = 'PeerUnavailable';
  }
}

export abstract class HypervisorPeer {
  abstract exchangeTick(request: hypervisor.ExchangeTickRequest): Promise<hypervisor.ExchangeTickResponse>;
}

/**
 * Where a call stands against a real-time run's schedule: how late, in wall milliseconds, its tick
 * started, so a measurement can count latency from the intended send time rather than the actual
 * one (docs/decisions/0007-load-testing.md); undefined when the run goes as fast as possible.
 */
export interface PolicyCallSchedule {
  readonly tickLagMilliseconds?: number;
  /** Wall milliseconds a paced tick lasts: per-handset calls spread over it; undefined when not paced. */
  readonly tickWallMilliseconds?: number;
}

/**
 * What a per-handset gateway learns beyond the batch answer, by row of the batch: the handsets
 * whose call was refused or never answered (the agent then counts as not having reached the
 * authority), with the status, and the commands the server handed over.
 */
export interface PerHandsetOutcomes {
  readonly failed: ReadonlyMap<number, string>;
  readonly commands: ReadonlyMap<number, readonly policy.Command[]>;
}

export type EnrollBatchAnswer = policy.EnrollBatchResponse & { readonly perHandset?: PerHandsetOutcomes };
export type CheckInBatchAnswer = policy.CheckInBatchResponse & { readonly perHandset?: PerHandsetOutcomes };

export abstract class PolicyGateway {
  /** Whether the gateway times each RPC it makes itself (per-handset), so a batch is not one. */
  readonly timesEachCall: boolean = false;
  abstract enrollBatch(request: policy.EnrollBatchRequest, schedule?: PolicyCallSchedule): Promise<EnrollBatchAnswer>;
  abstract checkInBatch(request: policy.CheckInBatchRequest, schedule?: PolicyCallSchedule): Promise<CheckInBatchAnswer>;
  /** Where the server answered otherwise than the reference model: recorded by measured gateways, else dropped. */
  diverged(runId: string, divergences: readonly Divergence[]): void {
    void runId;
    void divergences;
  }
}

/** Where a runner reports its ticks and final state (RunReporter on the event bus). */
export interface TickReports {
  publishTick(runId: string, shard: number, tick: number, role: number, events: EventBuffer, kpis: ArrayLike<number>, lagMilliseconds?: number): Promise<void>;
  publishFinalState(runId: string, shard: number, role: number, handsetIds: ArrayLike<number>, columns: StateColumns): Promise<void>;
  /** Commands the policy authority handed an agent, for hypervisor-core to execute. */
  publishCommands(commands: readonly events.CommandIssued[]): Promise<void>;
}
