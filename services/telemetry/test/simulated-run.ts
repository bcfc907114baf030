// A run simulated in process and cut into the parts the services publish (docs/design.md#services-and-contracts): for every
// tick and shard, the hypervisor's, the personal runtime's and the business runtime's KPI parts
// and event batches, and at the end each role's final state. Each role measures only what it owns
// (measure/tick-kpis.ts), and the shard's events are split by the role that emits them, so the
// parts sum to exactly what the in-process simulation measures.
import {
  EventBuffer,
  EventKind,
  KPI_COUNT,
  Persona,
  Simulation,
  agentFinalState,
  countEvents,
  hypervisorFinalState,
  ledgerCells,
  measureAgent,
  measureHypervisor,
  personaFinalState,
  type LeakLedgerCell,
  type RunSummary,
  type SimulationConfig,
  type StateColumns,
} from '@duet/sim-core';
import { Role } from '../src/domain/run-assembly';

export interface SimulatedTickPart {
  readonly tick: number;
  readonly shard: number;
  readonly role: Role;
  readonly values: Float64Array;
}

export interface SimulatedEventBatch {
  readonly tick: number;
  readonly shard: number;
  readonly role: Role;
  readonly kind: number[];
  readonly handsetId: number[];
  readonly persona: number[];
  readonly a: number[];
  readonly b: number[];
}

export interface SimulatedFinalStatePart {
  readonly shard: number;
  readonly role: Role;
  readonly handsetIds: number[];
  readonly columns: Record<string, number[]>;
  readonly leaks: LeakLedgerCell[];
}

export interface SimulatedRun {
  readonly config: SimulationConfig;
  readonly tickParts: SimulatedTickPart[];
  readonly eventBatches: SimulatedEventBatch[];
  readonly finalStateParts: SimulatedFinalStatePart[];
  /** What the in-process simulation reports for the same config. */
  readonly digest: string;
  readonly summary: RunSummary;
  /** Fleet KPIs per tick, as the in-process simulation measured them. */
  readonly ticks: Float64Array[];
}

// Events hypervisor-core emits (model/hypervisor.ts, inside stepHypervisor) and the business
// agent emits (model/agent.ts); session events belong to the persona they happen in.
const HYPERVISOR_EVENTS = new Set<number>([
  EventKind.POWER_CONNECTED,
  EventKind.POWER_DISCONNECTED,
  EventKind.HANDSET_BOOTED,
  EventKind.BALLOON_ADJUSTED,
  EventKind.BATTERY_LOW,
  EventKind.BATTERY_EMPTY,
  EventKind.CROSS_PERSONA_FLOW,
  EventKind.GUEST_STATE_CHANGED,
  EventKind.COMMAND_EXECUTED,
]);
const AGENT_EVENTS = new Set<number>([
  EventKind.CHECK_IN,
  EventKind.ENROLLMENT_FAILED,
  EventKind.POLICY_APPLIED,
  EventKind.COMPLIANCE_CHANGED,
  EventKind.ENFORCEMENT_ACTION,
]);

function roleOf(kind: number, persona: number): Role {
  if (HYPERVISOR_EVENTS.has(kind)) return Role.HYPERVISOR;
  if (AGENT_EVENTS.has(kind) || persona === Persona.BUSINESS) return Role.BUSINESS;
  return Role.PERSONAL;
}

export function simulateRun(config: SimulationConfig): SimulatedRun {
  const simulation = new Simulation(config);
  const tickParts: SimulatedTickPart[] = [];
  const eventBatches: SimulatedEventBatch[] = [];
  const ticks: Float64Array[] = [];
  while (!simulation.done) {
    const tick = simulation.tick;
    ticks.push(Float64Array.from(simulation.step().values));
    simulation.shards.forEach((shard, index) => {
      const buffers = new Map<Role, EventBuffer>([
        [Role.HYPERVISOR, new EventBuffer()],
        [Role.PERSONAL, new EventBuffer()],
        [Role.BUSINESS, new EventBuffer()],
      ]);
      const events = shard.events;
      for (let e = 0; e < events.length; e++)
        buffers.get(roleOf(events.kind[e], events.persona[e]))!.emit(events.kind[e], events.handset[e], events.persona[e], events.a[e], events.b[e]);
      for (const [role, buffer] of buffers) {
        const values = new Float64Array(KPI_COUNT);
        if (role === Role.HYPERVISOR) measureHypervisor(values, shard.hypervisor);
        if (role === Role.BUSINESS) measureAgent(values, shard.agent);
        countEvents(values, buffer);
        tickParts.push({ tick, shard: index, role, values });
        eventBatches.push({
          tick,
          shard: index,
          role,
          kind: Array.from(buffer.kind.subarray(0, buffer.length)),
          handsetId: Array.from(buffer.handset.subarray(0, buffer.length)),
          persona: Array.from(buffer.persona.subarray(0, buffer.length)),
          a: Array.from(buffer.a.subarray(0, buffer.length)),
          b: Array.from(buffer.b.subarray(0, buffer.length)),
        });
      }
    });
  }
  const finalStateParts: SimulatedFinalStatePart[] = [];
  simulation.shards.forEach((shard, index) => {
    const handsetIds = Array.from(shard.fleet.ids);
    const part = (role: Role, ...columns: StateColumns[]) =>
      finalStateParts.push({
        shard: index,
        role,
        handsetIds,
        columns: Object.fromEntries(columns.flatMap((set) => Object.entries(set)).map(([name, values]) => [name, Array.from(values)])),
        leaks: role === Role.HYPERVISOR ? ledgerCells(shard.hypervisor) : [],
      });
    part(Role.HYPERVISOR, hypervisorFinalState(shard.hypervisor));
    part(Role.PERSONAL, personaFinalState(shard.personal));
    part(Role.BUSINESS, personaFinalState(shard.business), agentFinalState(shard.agent));
  });
  return { config, tickParts, eventBatches, finalStateParts, digest: simulation.digest(), summary: simulation.summary(), ticks };
}

/** A small run with policy changes (POLICY_APPLIED events) and commands, over three shards. */
export const SMALL_RUN_CONFIG: SimulationConfig = {
  seed: 20110215,
  ticks: 48,
  shards: 3,
  tickSeconds: 300,
  startMinuteOfDay: 8 * 60,
  fleet: {
    handsets: 90,
    models: [
      { name: 'optimus-one', weight: 2 },
      { name: 'optimus-2x', weight: 1 },
      { name: 'optimus-black', weight: 1 },
    ],
    regions: [
      { name: 'emea', weight: 2 },
      { name: 'amer', weight: 1 },
    ],
    groups: [
      { name: 'sales', weight: 1 },
      { name: 'engineering', weight: 1 },
    ],
    enrollmentWindowMinutes: 30,
  },
  policies: [
    { tick: 0, policy: { name: 'policies/baseline', version: 1, duet: { checkInIntervalMinutes: 15 } } },
    {
      tick: 20,
      groups: ['sales'],
      policy: {
        name: 'policies/sales',
        version: 2,
        crossProfilePolicies: { crossProfileCopyPaste: 'CROSS_PROFILE_COPY_PASTE_ALLOWED' },
        duet: { checkInIntervalMinutes: 15 },
      },
    },
  ],
  commands: [{ tick: 30, handsets: [1, 2], type: 'LOCK' }],
};

/** Deterministic shuffle (a linear congruential sequence), so a failing order can be replayed. */
export function shuffled<T>(items: readonly T[], seed = 7): T[] {
  const result = [...items];
  let state = seed;
  for (let i = result.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = state % (i + 1);
    [result[i], result[j]] = [result[j], result[i]];
  }
  return result;
}
