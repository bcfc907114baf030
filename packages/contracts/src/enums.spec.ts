import { describe, expect, it } from 'vitest';
// The simulation core's codes are the reference; imported by path in this test only, so the
// contracts package does not depend on the core.
import * as core from '../../sim-core/src/model/enums';
import { WorldRequest } from '../../sim-core/src/model/batches';
import * as common from './generated/duet/common/v1/enums';

// Values of a generated numeric enum by name, without TypeScript's reverse mapping and
// ts-proto's UNRECOGNIZED (-1).
function valuesOf(generated: Record<string, string | number>): Record<string, number> {
  return Object.fromEntries(Object.entries(generated).filter((entry): entry is [string, number] => typeof entry[1] === 'number' && entry[1] >= 0));
}

// The core's codes under their proto names: PREFIX_NAME, plus PREFIX_UNSPECIFIED = 0.
function expectedProtoValues(prefix: string, codes: Record<string, number>): Record<string, number> {
  const expected: Record<string, number> = { [`${prefix}_UNSPECIFIED`]: 0 };
  for (const [name, code] of Object.entries(codes)) if (code !== 0) expected[`${prefix}_${name}`] = code;
  return expected;
}

describe('duet.common.v1 enums', () => {
  const pairs: [string, Record<string, string | number>, Record<string, number>][] = [
    ['PERSONA', common.Persona, core.Persona],
    ['GUEST_STATE', common.GuestState, core.GuestState],
    ['EVENT_KIND', common.EventKind, core.EventKind],
    ['APP', common.App, core.App],
    ['FLOW_KIND', common.FlowKind, core.FlowKind],
    ['ENFORCEMENT_ACTION', common.EnforcementAction, core.EnforcementAction],
    ['COMMAND_TYPE', common.CommandType, core.CommandType],
    ['WORLD_REQUEST', common.WorldRequest, WorldRequest],
  ];

  it.each(pairs)('%s values carry the simulation core codes, and no others', (prefix, generated, codes) => {
    expect(valuesOf(generated)).toEqual(expectedProtoValues(prefix, codes));
  });

  it("maps the core's EnforcementAction.NONE (code 0) to ENFORCEMENT_ACTION_UNSPECIFIED", () => {
    expect(core.EnforcementAction.NONE).toBe(common.EnforcementAction.ENFORCEMENT_ACTION_UNSPECIFIED);
  });
});
