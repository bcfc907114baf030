import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as common from './generated/duet/common/v1/enums';
import * as events from './generated/duet/events/v1/events';
import * as hypervisor from './generated/duet/hypervisor/v1/hypervisor';
import * as persona from './generated/duet/persona/v1/persona';
import * as policy from './generated/duet/policy/v1/policy';
import * as telemetry from './generated/duet/telemetry/v1/telemetry';
import { GRPC_LOADER_OPTIONS, PROTO_ROOT } from './proto-files';

describe('PROTO_ROOT', () => {
  it.each([common, events, hypervisor, persona, policy, telemetry].map((module) => [module.protobufFileName]))('holds %s', (file) => {
    expect(existsSync(join(PROTO_ROOT, file))).toBe(true);
  });

  it('is where the gRPC loader looks for imports', () => {
    expect(GRPC_LOADER_OPTIONS.includeDirs).toEqual([PROTO_ROOT]);
  });
});
