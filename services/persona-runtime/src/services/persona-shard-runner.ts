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
import { PROCESS_METRICS, columnsOf, decodeGrant, encodeDemand, restoreColumns, type CheckpointState, type Metrics } from '@duet/service-kit';
import { PeerUnavailable, type HypervisorPeer, type PolicyCallSchedule, type PolicyGateway, type TickReports } from '../domain/ports';

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
    this.agent = persona === Persona.BUSINESS ? new AgentShard(this.fleet) : null;
    this.agentView = this.agent
      ? {
          policyIndex: this.agent.policyIndex,
          enrolled: this.agent.enrolled,
          pendingWorldRequest: this.agent.pendingWorldRequest,
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
    if (this.agent) await this.stepAgent(tick, this.agent, { tickLagMilliseconds: timing.paced ? timing.lagMilliseconds : undefined });
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
        this.timed('EnrollBatch', () =>
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
      enrolling.forEach((i, k) => {
        this.credentials[i] = response.deviceCredentials[k];
        answers.assigned[i] = response.assignedRevision[k];
      });
    }
    const enrollingNow = new Set(enrolling);
    const checking = checkIns.filter((i) => answers.reachableColumn[i] === 1);
    if (checking.length > 0) {
      const response = await this.retrying('policy-authority', () =>
        this.timed('CheckInBatch', () =>
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
      checking.forEach((i, k) => (answers.assigned[i] = response.assignedRevision[k]));
    }
    stepAgent({ random: this.run.random, clock: this.run.clock, policies: this.run.registry.effective }, agent, this.grant, tick, this.events, answers);
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
