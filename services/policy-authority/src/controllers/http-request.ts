// HTTP bodies and query strings are checked before they become contract messages: ts-proto's
// fromJSON is lenient (it drops unknown fields and coerces types), and a malformed request must get
// 400 naming the field. Paths here are the JSON names (lowerCamelCase), as the caller wrote them.
import { common } from '@duet/contracts';
import { CommandType, type ValidationIssue } from '@duet/sim-core';
import { z } from 'zod';
import { RequestError } from '../domain/request-error';

const UINT32_MAX = 0xffff_ffff;
const uint32 = z.int().min(0).max(UINT32_MAX);
const version = z.int().min(0);
const name = z.string().min(1).max(200);
// Query-string values are text: numbers and booleans are parsed from it.
const queryUint32 = z.coerce.number().pipe(uint32);
const queryBoolean = z.enum(['true', 'false']).transform((value) => value === 'true');
const queryHandsetIds = z
  .string()
  .regex(/^\d+(,\d+)*$/, { error: 'must be handset ids separated by commas, e.g. "1,2,3"' })
  .transform((value) => value.split(',').map(Number))
  .pipe(z.array(uint32));
/** CommandType names as proto3 JSON writes them ("COMMAND_TYPE_LOCK"). */
export const COMMAND_TYPE_NAMES = Object.values(CommandType).map((code) => common.commandTypeToJSON(code)) as [string, ...string[]];

export const publishPolicyBody = z.strictObject({
  name,
  version: version.default(0),
  groups: z.array(name).default([]),
  effectiveTick: uint32.default(0),
});

export const assignPolicyBody = z.strictObject({
  group: name,
  policyName: name,
  policyVersion: version.default(0),
  effectiveTick: uint32.default(0),
});

export const createEnrollmentTokenBody = z.strictObject({
  group: z.string().max(200).default(''),
  tick: uint32.default(0),
  durationTicks: uint32.default(0),
});

export const issueCommandBody = z.strictObject({
  type: z.enum(COMMAND_TYPE_NAMES),
  handsetIds: z.array(uint32).min(1),
  tick: uint32.default(0),
  shards: uint32.default(0),
});

export const getPolicyQuery = z.strictObject({ version: z.coerce.number().pipe(version).default(0) });

export const listPoliciesQuery = z.strictObject({ pageSize: queryUint32.default(0), pageToken: z.string().default('') });

export const listComplianceQuery = z.strictObject({
  group: z.string().default(''),
  nonCompliantOnly: queryBoolean.default(false),
  handsetIds: queryHandsetIds.default([]),
  history: queryBoolean.default(false),
  pageSize: queryUint32.default(0),
  pageToken: z.string().default(''),
});

/** The checked request part; RequestError (400) listing every issue otherwise. */
export function parseRequestPart<Schema extends z.ZodType>(schema: Schema, input: unknown, subject: string): z.output<Schema> {
  const result = schema.safeParse(input ?? {}, { reportInput: true });
  if (result.success) return result.data;
  throw new RequestError('invalid-argument', subject, result.error.issues.flatMap(toIssues));
}

function toIssues(issue: z.core.$ZodIssue): ValidationIssue[] {
  const path = issue.path.map(String).join('.');
  const at = (key: string) => (path === '' ? key : `${path}.${key}`);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: at(key), rule: 'unknown-field', message: `unknown field "${key}"` }));
    case 'invalid_type':
      return [issue.input === undefined ? { path, rule: 'required', message: 'is required' } : { path, rule: 'type', message: `must be ${issue.expected}` }];
    case 'invalid_value':
      return [{ path, rule: 'enum', message: `must be one of ${issue.values.map(String).join(', ')}` }];
    case 'too_small':
      return [{ path, rule: 'min', message: issue.message }];
    case 'too_big':
      return [{ path, rule: 'max', message: issue.message }];
    case 'invalid_format':
      return [{ path, rule: 'pattern', message: issue.message }];
    default:
      return [{ path, rule: issue.code, message: issue.message }];
  }
}
