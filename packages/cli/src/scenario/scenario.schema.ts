// The scenario file (DESIGN §1 "Scenario"): what a run simulates. One zod schema is the source of
// the TypeScript type, the validation (every problem with its path) and the published JSON Schema.
import { z } from 'zod';
import { CATALOGUE, CommandType } from '@duet/sim-core';
import { DURATION_PATTERN } from './duration';

const duration = z.string().regex(DURATION_PATTERN, 'must be a duration like 90s, 15m, 2h or 1d');
/** A point in simulated time: a tick number, or a duration from the run's start. */
const moment = z.union([z.number().int().min(0), duration]);
const weights = z.record(z.string().min(1), z.number().min(0));
const modelNames = CATALOGUE.map((model) => model.name) as [string, ...string[]];

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
  faults: z
    .array(
      z.strictObject({
        regionOutage: z.strictObject({ region: z.string().min(1), from: moment, to: moment }),
      }),
    )
    .default([]),
});

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;

/** The published JSON Schema of scenario files. */
export function scenarioJsonSchema(): unknown {
  return z.toJSONSchema(scenarioSchema, { io: 'input', target: 'draft-2020-12' });
}
