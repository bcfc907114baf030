// The scenario file (docs/design.md#the-domain, "Scenario"): what a run simulates. One zod schema is the source of
// the TypeScript type, the validation (every problem with its path) and the published JSON Schema.
import { z } from 'zod';
import { CATALOGUE, CommandType, RESTARTABLE_SERVICES } from '@duet/sim-core';
import { KPI_REGISTRY } from '../thresholds/kpi-registry';
import { THRESHOLD_PATTERN, THRESHOLD_SYNTAX } from '../thresholds/threshold';
import { DURATION_PATTERN } from './duration';

const duration = z.string().regex(DURATION_PATTERN, 'must be a duration like 90s, 15m, 2h or 1d');
/** A point in simulated time: a tick number, or a duration from the run's start. */
const moment = z.union([z.number().int().min(0), duration]);
const weights = z.record(z.string().min(1), z.number().min(0));
const modelNames = CATALOGUE.map((model) => model.name) as [string, ...string[]];
const thresholdExpression = z.string().regex(THRESHOLD_PATTERN, THRESHOLD_SYNTAX);
const thresholdList = z.union([thresholdExpression, z.array(thresholdExpression).min(1)]).transform((value) => (typeof value === 'string' ? [value] : value));
// One optional key per registry KPI, so the published JSON Schema names and describes each.
const thresholdKeys = Object.fromEntries(KPI_REGISTRY.map((kpi) => [kpi.name, thresholdList.optional().describe(`${kpi.description} [${kpi.unit}]`)]));
/** From `from` (inclusive) to `to` (exclusive). */
const timeWindow = { from: moment, to: moment };
const percent = z.string().regex(/^\d+(\.\d+)?%$/, 'must be a percent like 20% or 12.5%');
export const FAULT_KINDS = ['regionOutage', 'policyAuthorityOutage', 'powerLoss', 'serviceRestart'] as const;

export const scenarioSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be kebab-case'),
  description: z.string().optional(),
  seed: z.number().int().refine(Number.isSafeInteger, 'must be a safe integer'),
  shards: z.number().int().min(1).max(1024).default(1),
  /** Simulated seconds per tick. */
  tick: duration.default('60s'),
  /** Simulated time of day at tick 0, HH:MM. */
  start: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM')
    .default('00:00'),
  duration: z.union([z.number().int().min(1), duration]),
  fleet: z.strictObject({
    handsets: z.number().int().min(1).max(10_000_000),
    /** Catalogue model names and their weights. */
    models: z.partialRecord(z.enum(modelNames, { message: `must be a catalogue model: ${modelNames.join(', ')}` }), z.number().min(0)).optional(),
    regions: weights.optional(),
    groups: weights.optional(),
    workload: z
      .strictObject({
        personal: z.number().positive().default(1),
        business: z.number().positive().default(1),
      })
      .optional(),
    /** Business worlds start provisioning within this window of the run's start. */
    enrollmentWindow: duration.optional(),
  }),
  /** The policy timeline: which AMAPI-shaped policy applies to which groups from when. */
  policies: z
    .array(
      z.strictObject({
        at: moment,
        groups: z.array(z.string().min(1)).min(1).optional(),
        policy: z.record(z.string(), z.unknown()),
      }),
    )
    .default([]),
  /** Remote commands at given moments. */
  commands: z
    .array(
      z.strictObject({
        at: moment,
        handsets: z.array(z.number().int().min(0)).min(1),
        type: z.enum(Object.keys(CommandType) as [string, ...string[]]),
      }),
    )
    .default([]),
  /**
   * k6-style ramp: stage by stage, the fleet moves linearly from 0 handsets at the start to each
   * stage's target (a count or a percent of fleet.handsets), then holds the last one. Without it
   * every handset is in the fleet from the start.
   */
  ramp: z
    .array(z.strictObject({ duration: z.union([z.number().int().min(0), duration]), target: z.union([z.number().int().min(0), percent]) }))
    .min(1)
    .optional(),
  /**
   * One fault per entry: a region loses its network; the policy authority is down for every region;
   * a seeded batch of handsets (a count or a percent, optionally of one region and group) loses
   * power; or hypervisor-core or policy-authority restarts (docs/architecture.md "Faults").
   */
  faults: z
    .array(
      z
        .strictObject({
          regionOutage: z.strictObject({ region: z.string().min(1), ...timeWindow }).optional(),
          policyAuthorityOutage: z.strictObject(timeWindow).optional(),
          powerLoss: z
            .strictObject({
              handsets: z.union([z.number().int().min(1), percent]),
              region: z.string().min(1).optional(),
              group: z.string().min(1).optional(),
              ...timeWindow,
            })
            .optional(),
          serviceRestart: z.strictObject({ service: z.enum(RESTARTABLE_SERVICES), at: moment, downFor: duration.default('2m') }).optional(),
        })
        .refine((fault) => FAULT_KINDS.filter((kind) => fault[kind] !== undefined).length === 1, {
          message: `give exactly one of ${FAULT_KINDS.join(', ')}`,
          params: { rule: 'one-fault' },
        }),
    )
    .default([]),
  /**
   * When the business agents call the policy authority (docs/architecture.md "Agent cadence"). After
   * each enrollment they check in by `checkInPhases`, in order (default: every 3m for 15m, then every
   * 15m for 2h, as Intune), then at the applied policy's duet.checkInIntervalMinutes (the steady
   * interval, default 8h). Each wait is drawn within ± `jitter` of itself (default 10%). A refused or
   * unreachable enrollment or check-in is retried after `backoff.first`, doubling per failure up to
   * `backoff.max` (default 1m and 1h), never later than the next regular check-in; a success resets it.
   */
  agents: z
    .strictObject({
      checkInPhases: z
        .array(z.strictObject({ every: duration, for: duration }))
        .max(16)
        .optional(),
      jitter: percent.optional(),
      backoff: z.strictObject({ first: duration.optional(), max: duration.optional() }).optional(),
    })
    .optional(),
  /**
   * How ticks start on the wall clock: as fast as possible (what-if runs), or real time × speedFactor
   * (load tests: a tick of `tick` simulated seconds every tick / speedFactor wall seconds, and the run
   * reports its lag). Pacing changes neither the KPIs nor the digest.
   */
  pacing: z
    .strictObject({
      mode: z.enum(['as-fast-as-possible', 'real-time']).default('as-fast-as-possible'),
      speedFactor: z.number().positive().max(1_000_000).default(1),
    })
    .default({ mode: 'as-fast-as-possible', speedFactor: 1 }),
  /**
   * What a load test (`duet run --policy-authority HOST:PORT`) sends: `batched` (default, what-if
   * speed: one EnrollBatch / CheckInBatch per shard and tick) or `per-handset` (each agent's own
   * unary Enroll and CheckIn, spread within the tick, over `connections` HTTP/2 connections).
   * `--traffic` and `--connections` override it.
   */
  load: z
    .strictObject({
      traffic: z.enum(['batched', 'per-handset']).default('batched'),
      connections: z.int().min(1).max(1024).optional(),
    })
    .default({ traffic: 'batched' }),
  /**
   * k6-style pass/fail criteria: a registry KPI's name to one expression or a list, each
   * `<operator> <number>[%]` with operator one of < <= > >= == !=. `duet run` exits 1 when one fails.
   */
  thresholds: z
    .strictObject(thresholdKeys)
    .describe('k6-style pass/fail criteria: KPI name to "<operator> <number>[%]" or a list of them; duet run exits 1 when one fails')
    .default({}),
});

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;

/** The published JSON Schema of scenario files. */
export function scenarioJsonSchema(): unknown {
  return z.toJSONSchema(scenarioSchema, { io: 'input', target: 'draft-2020-12' });
}
