// One persona of one shard of one run, tick by tick (docs/design.md#time-shards-and-determinism): compute demands, exchange them
// with hypervisor-core for grants, apply the grants, and for the business persona let the MDM
// agent check in with the policy authority. The model is sim-core's; this class only moves its
// batches through the ports, retrying peers that are briefly unavailable (docs/design.md#quality-bars).
import {
  AgentShard,
  DemandBatch,
  EventBuffer,
  FleetShard,
  GrantBatch,
  GuestState,
  KPI_COUNT,
  Persona,
  PersonaShard,
  agentFinalState,
  applyGrants,
  computeDemands,
  enforcedReasons,
  countEvents,
  dueCheckIns,
  measureAgent,
  personaFinalState,
  stepAgent,
  CATALOGUE,
  type AgentView,
  type CheckInAnswers,
  type DueCheckIns,
  type PreparedRun,
  type WorkloadContext,
} from '@duet/sim-core';
import { common, type events } from '@duet/contracts';
import { PROCESS_METRICS, columnsOf, decodeGrant, encodeDemand, restoreColumns, type CheckpointState, type Metrics } from '@duet/service-kit';
import type { Divergence, DivergenceKind } from '../domain/divergence';
import { PeerUnavailable, type HypervisorPeer, type PolicyCallSchedule, type PolicyGateway, type TickReports } from '../domain/ports';

// Statuses that mean the server could not be reached, not that it answered otherwise.
const UNREACHABLE = new Set(['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED']);

/** The divergences of one tick's batch, in row order. */
class DivergenceList {
  readonly list: Divergence[] = [];

  constructor(
    private readonly tick: number,
    private readonly refusal: DivergenceKind,
  ) {}

  add(kind: DivergenceKind, handsetId: number, field: string, expected: string, received: string): void {
    this.list.push({ kind, tick: this.tick, handsetId, field, expected, received });
  }

  refused(handsetId: number, status: string): void {
    if (!UNREACHABLE.has(status)) this.add(this.refusal, handsetId, 'status', 'OK', status);
  }
}

const ROLE_PERSONAL = 2; // duet.events.v1.Role
const ROLE_BUSINESS = 3;
const RETRY_LIMIT_MS = 5 * 60_000; // give up on a peer after 5 minutes of retries: a restart of PostgreSQL or of a peer takes less
const RETRY_FIRST_MS = 5;
const RETRY_MAX_MS = 2_000;

/** Answers of this tick's batch RPCs, as columns (the networked CheckInAnswers adapter). */
class ColumnAnswers implements CheckInAnswers {
  readonly reachableColumn: Uint8Array;
  readonly assigned: Uint16Array;

  constructor(size: number) {
    this.reachableColumn = new Uint8Array(size);
    this.assigned = new Uint16Array(size);
  }

  reachable(i: number): boolean {
    return this.reachableColumn[i] === 1;
  }

  assignedRevision(i: number): number {
    return this.assigned[i];
  }
}

/** Where a tick stands against the run's schedule. */
export interface TickTiming {
  /** How late the tick started, in wall milliseconds (0 in a run as fast as possible). */
  readonly lagMilliseconds: number;
  /** Whether the run is paced in real time (a schedule exists to be late against). */
  readonly paced: boolean;
}

const UNPACED: TickTiming = { lagMilliseconds: 0, paced: false };

export interface RunnerPorts {
  readonly hypervisor: HypervisorPeer;
  readonly policy: PolicyGateway | null;
  readonly reports: TickReports;
  readonly metrics?: Metrics;
}

export class PersonaShardRunner {
  readonly fleet: FleetShard;
  readonly state: PersonaShard;
  readonly agent: AgentShard | null;
  readonly demand: DemandBatch;
  readonly grant: GrantBatch;
  readonly events = new EventBuffer();
  private readonly workload: WorkloadContext;
  private readonly agentView: AgentView | null;
  private readonly answers: ColumnAnswers;
  private readonly credentials: string[];
  private readonly due: DueCheckIns = { enrollments: [], checkIns: [] };
  readonly role: number;

  constructor(
    readonly run: PreparedRun,
    readonly runId: string,
    readonly shard: number,
    readonly persona: Persona,
    private readonly enrollmentToken: string,
    private readonly ports: RunnerPorts,
  ) {
    const { fleet, random, clock, registry } = run;
    this.fleet = new FleetShard(fleet, shard, run.config.shards, random, clock.tickSeconds);
    const n = this.fleet.size;
    this.state = new PersonaShard(persona, this.fleet);
    this.demand = new DemandBatch(n);
    this.grant = new GrantBatch(n);
    // The grants as seen before the first tick: every handset on, no guest yet (as HypervisorShard writes them).
    this.grant.powered.fill(1);
    this.grant.guestState.fill(GuestState.NOT_PROVISIONED);
    this.workload = { random, clock, personalIntensity: fleet.personalIntensity, businessIntensity: fleet.businessIntensity };
    this.role = persona === Persona.BUSINESS ? ROLE_BUSINESS : ROLE_PERSONAL;
    this.agent = persona === Persona.BUSINESS ? new AgentShard(this.fleet, enforcedReasons(registry.effective)) : null;
    this.agentView = this.agent
      ? {
          policyIndex: this.agent.policyIndex,
          enrolled: this.agent.enrolled,
          pendingWorldRequest: this.agent.pendingWorldRequest,
          vpnUp: this.agent.vpnUp,
          nextCheckInTick: this.agent.nextCheckInTick,
          policies: registry.effective,
        }
      : null;
    this.answers = new ColumnAnswers(n);
    this.credentials = new Array<string>(n).fill('');
    if (this.agent && ports.policy === null) throw new Error('the business persona runtime needs a policy gateway');
  }

  async step(tick: number, timing: TickTiming = UNPACED): Promise<void> {
    const events = this.events;
    events.clear(tick);
    computeDemands(this.workload, this.state, this.grant, tick, this.demand, events, this.agentView);
    const request = encodeDemand({ runId: this.runId, shard: this.shard, tick, persona: this.persona }, this.fleet.ids, this.demand);
    const response = await this.retrying('hypervisor-core', () => this.timed('ExchangeTick', () => this.ports.hypervisor.exchangeTick(request)));
    decodeGrant(response, this.demand, this.grant);
    applyGrants(this.state, this.demand, this.grant, tick, this.run.clock.tickSeconds, events);
    if (this.agent)
      await this.stepAgent(
        tick,
        this.agent,
        timing.paced ? { tickLagMilliseconds: timing.lagMilliseconds, tickWallMilliseconds: this.tickWallMilliseconds() } : {},
      );
    const kpis = new Float64Array(KPI_COUNT);
    if (this.agent) measureAgent(kpis, this.agent);
    countEvents(kpis, events);
    await this.ports.reports.publishTick(this.runId, this.shard, tick, this.role, events, kpis, timing.lagMilliseconds);
  }

  /** Everything the shard's next ticks depend on (a checkpoint), after the last tick stepped. */
  snapshot(): CheckpointState {
    return {
      ...columnsOf('persona', this.state),
      ...(this.agent ? columnsOf('agent', this.agent) : {}),
      ...columnsOf('demand', this.demand),
      ...columnsOf('grant', this.grant),
      ...columnsOf('answers', this.answers),
      'demand.tick': this.demand.tick,
      'grant.tick': this.grant.tick,
      credentials: [...this.credentials],
    };
  }

  /** Takes over a snapshot of this shard (same run, persona and handsets) taken by any instance. */
  restore(state: CheckpointState): void {
    restoreColumns('persona', this.state, state);
    if (this.agent) restoreColumns('agent', this.agent, state);
    restoreColumns('demand', this.demand, state);
    restoreColumns('grant', this.grant, state);
    restoreColumns('answers', this.answers, state);
    this.demand.tick = state['demand.tick'] as number;
    this.grant.tick = state['grant.tick'] as number;
    const credentials = state.credentials as readonly string[];
    if (credentials.length !== this.credentials.length)
      throw new RangeError(`checkpoint holds ${credentials.length} credentials, the shard ${this.credentials.length} handsets`);
    this.credentials.splice(0, credentials.length, ...credentials);
  }

  async finish(): Promise<void> {
    const columns = this.agent ? { ...personaFinalState(this.state), ...agentFinalState(this.agent) } : personaFinalState(this.state);
    await this.ports.reports.publishFinalState(this.runId, this.shard, this.role, this.fleet.ids, columns);
  }

  private async stepAgent(tick: number, agent: AgentShard, schedule: PolicyCallSchedule): Promise<void> {
    const policy = this.ports.policy!;
    const { enrollments, checkIns } = dueCheckIns(agent, this.grant, tick, this.due);
    const answers = this.answers;
    const { fleet, timeline } = this.run;
    // A region outage is a fault of the scenario: the agent simply cannot reach the authority.
    for (const i of checkIns) answers.reachableColumn[i] = timeline.reachable(this.fleet.region[i], tick) ? 1 : 0;
    const enrolling = enrollments.filter((i) => answers.reachableColumn[i] === 1);
    if (enrolling.length > 0) {
      const response = await this.retrying('policy-authority', () =>
        this.timedBatch('EnrollBatch', () =>
          policy.enrollBatch(
            {
              runId: this.runId,
              enrollmentToken: this.enrollmentToken,
              shard: this.shard,
              tick,
              handsetIds: enrolling.map((i) => this.fleet.ids[i]),
              groups: enrolling.map((i) => fleet.groupNames[this.fleet.group[i]]),
              models: enrolling.map((i) => CATALOGUE[this.fleet.model[i]].name),
            },
            schedule,
          ),
        ),
      );
      const divergences = new DivergenceList(tick, 'enrollment-refused');
      enrolling.forEach((i, k) => {
        const failed = response.perHandset?.failed.get(k);
        if (failed !== undefined) {
          // Refused or never answered: to the agent, the authority was out of reach this tick.
          answers.reachableColumn[i] = 0;
          divergences.refused(this.fleet.ids[i], failed);
          return;
        }
        this.credentials[i] = response.deviceCredentials[k];
        answers.assigned[i] = this.fromServer(divergences, i, tick, response.assignedRevision[k]);
      });
      policy.diverged(this.runId, divergences.list);
    }
    const enrollingNow = new Set(enrolling.filter((i) => answers.reachableColumn[i] === 1));
    const checking = checkIns.filter((i) => answers.reachableColumn[i] === 1);
    if (checking.length > 0) {
      const response = await this.retrying('policy-authority', () =>
        this.timedBatch('CheckInBatch', () =>
          policy.checkInBatch(
            {
              runId: this.runId,
              shard: this.shard,
              tick,
              handsetIds: checking.map((i) => this.fleet.ids[i]),
              deviceCredentials: checking.map((i) => this.credentials[i]),
              appliedRevision: checking.map((i) => (enrollingNow.has(i) ? answers.assigned[i] : agent.policyIndex[i])),
              complianceMask: checking.map((i) => agent.complianceMask[i]),
              batteryPermille: checking.map((i) => this.grant.batteryPermille[i]),
            },
            schedule,
          ),
        ),
      );
      const divergences = new DivergenceList(tick, 'check-in-refused');
      const received: events.CommandIssued[] = [];
      checking.forEach((i, k) => {
        const failed = response.perHandset?.failed.get(k);
        if (failed !== undefined) {
          answers.reachableColumn[i] = 0;
          divergences.refused(this.fleet.ids[i], failed);
          return;
        }
        answers.assigned[i] = this.fromServer(divergences, i, tick, response.assignedRevision[k]);
        // The scenario schedules its commands in the run config; any the server hands over (an
        // operator's) is not the reference model's: a divergence, which the handset then executes
        // at its next tick, as it would an operator's command over Kafka.
        for (const command of response.perHandset?.commands.get(k) ?? []) {
          divergences.add('command', this.fleet.ids[i], 'commands', 'none', `${common.commandTypeToJSON(command.type)} ${command.commandId}`);
          received.push({
            runId: this.runId,
            commandId: command.commandId,
            shard: this.shard,
            handsetId: this.fleet.ids[i],
            type: command.type,
            tick: tick + 1,
          });
        }
      });
      policy.diverged(this.runId, divergences.list);
      await this.ports.reports.publishCommands(received);
    }
    const { random, clock, registry, cadence } = this.run;
    stepAgent({ random, clock, policies: registry.effective, cadence }, agent, this.grant, tick, this.events, answers);
  }

  /**
   * The server's assigned revision for handset i, checked against the reference model (the run's
   * policy timeline): a different one is a divergence, and the run goes on with the server's
   * answer where the run's registry knows that revision.
   */
  private fromServer(divergences: DivergenceList, i: number, tick: number, received: number): number {
    const expected = this.run.timeline.policyFor(this.fleet.group[i], tick);
    if (received === expected) return received;
    divergences.add('policy-revision', this.fleet.ids[i], 'assigned_revision', String(expected), String(received));
    return received < this.run.registry.effective.length ? received : expected;
  }

  // Wall milliseconds of one paced tick.
  private tickWallMilliseconds(): number | undefined {
    const pacing = this.run.config.pacing;
    return pacing?.mode === 'real-time' ? (this.run.clock.tickSeconds * 1000) / pacing.speedFactor : undefined;
  }

  // A batch RPC's client-side time; a per-handset gateway times each agent's own call instead.
  private timedBatch<T>(method: string, call: () => Promise<T>): Promise<T> {
    return this.ports.policy!.timesEachCall ? call() : this.timed(method, call);
  }

  private timed<T>(method: string, call: () => Promise<T>): Promise<T> {
    return (this.ports.metrics ?? PROCESS_METRICS).timeRpc(method, 'client', call);
  }

  /** Retries a call while its peer is unavailable, with exponential backoff, for a bounded time. */
  private async retrying<T>(peer: string, call: () => Promise<T>): Promise<T> {
    const started = Date.now();
    let wait = RETRY_FIRST_MS;
    for (;;) {
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof PeerUnavailable) || Date.now() - started > RETRY_LIMIT_MS) throw error;
        await new Promise((resolve) => setTimeout(resolve, wait));
        wait = Math.min(wait * 2, RETRY_MAX_MS);
      }
    }
  }
}
