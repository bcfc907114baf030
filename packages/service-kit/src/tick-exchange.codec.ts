// Converts the core's columnar batches (typed arrays) to and from the per-tick exchange messages
// of proto/duet/hypervisor/v1 and proto/duet/persona/v1. Both modes run it: the gRPC adapter
// serialises the messages, the in-process adapter hands them over as they are.
import type { hypervisor } from '@duet/contracts';
import { DemandBatch, FlowResult, GrantBatch, ValidationError, flowRule, type ValidationIssue } from '@duet/sim-core';

export interface ExchangeKeys {
  readonly runId: string;
  readonly shard: number;
  readonly tick: number;
  readonly persona: number;
}

/**
 * A typed column as a message's repeated field (number[] or boolean[] in the generated types), by
 * one memcpy instead of a loop over every element. Sound because the generated code only iterates
 * repeated fields (encode: for-of) and this codec only indexes them, both of which typed arrays do;
 * booleans travel as 0/1, which the writer's bool() and the decoders' truthiness tests read alike.
 * The in-process adapters hand messages over as they are, so in the embedded mode this copy is the
 * whole cost of the exchange (at 100,000 handsets the element-wise copies were its largest cost).
 */
export function wireColumn<T extends number | boolean = number>(column: TypedColumn): T[] {
  return column.slice() as unknown as T[];
}

/**
 * The message with every typed column copied into a plain array, for the gRPC adapters: the
 * serializer behind @grpc/proto-loader (protobufjs's fromObject) accepts arrays only. The wire
 * bytes are the same either way; only the in-process path keeps the typed copies.
 */
export function withPlainColumns<T>(message: T): T {
  if (ArrayBuffer.isView(message)) return Array.from(message as unknown as ArrayLike<number>) as T;
  if (message === null || typeof message !== 'object' || Array.isArray(message)) return message;
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(message)) plain[key] = withPlainColumns(value);
  return plain as T;
}

type TypedColumn = Uint8Array | Uint16Array | Uint32Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** Largest batch accepted: a shard beyond this is a configuration error, not a tick. */
export const MAX_BATCH_ROWS = 1_000_000;

export function encodeDemand(keys: ExchangeKeys, handsetIds: Uint32Array, demand: DemandBatch): hypervisor.ExchangeTickRequest {
  const flowHandsets: number[] = [];
  const flowKinds: number[] = [];
  for (let i = 0; i < demand.size; i++) {
    if (demand.flowKind[i] !== 0) {
      flowHandsets.push(handsetIds[i]);
      flowKinds.push(demand.flowKind[i]);
    }
  }
  return {
    demand: {
      ...keys,
      handsetIds: wireColumn(handsetIds),
      cpuMhz: wireColumn(demand.cpuMhz),
      memoryMb: wireColumn(demand.memoryMb),
      radioKbps: wireColumn(demand.radioKbps),
      screenOn: wireColumn<boolean>(demand.screenOn),
      app: wireColumn(demand.app),
      worldRequest: wireColumn(demand.worldRequest),
      policyRevision: wireColumn(demand.policyIndex),
      policyApplied: wireColumn<boolean>(demand.policyApplied),
    },
    flowRequests: { handsetIds: flowHandsets, kind: flowKinds },
  };
}

/**
 * Reads a request into the shard's DemandBatch after checking it against the shard's handsets.
 * Every problem names the field and the rule (docs/design.md#quality-bars).
 */
export function decodeDemand(
  request: hypervisor.ExchangeTickRequest,
  expectedIds: Uint32Array,
  indexOf: (handsetId: number) => number,
  into: DemandBatch,
): ExchangeKeys {
  const demand = request.demand;
  if (demand === undefined) throw new ValidationError('tick exchange', [{ path: 'demand', rule: 'required', message: 'the request carries no demand batch' }]);
  const issues: ValidationIssue[] = [];
  const rows = demand.handsetIds.length;
  if (rows > MAX_BATCH_ROWS) issues.push({ path: 'demand.handset_ids', rule: 'max-rows', message: `at most ${MAX_BATCH_ROWS} rows per batch, got ${rows}` });
  if (rows !== expectedIds.length) {
    issues.push({
      path: 'demand.handset_ids',
      rule: 'shard-handsets',
      message: `shard ${demand.shard} has ${expectedIds.length} handsets, the batch lists ${rows}`,
    });
  } else {
    for (let i = 0; i < rows; i++) {
      if (demand.handsetIds[i] !== expectedIds[i]) {
        issues.push({ path: `demand.handset_ids[${i}]`, rule: 'shard-handsets', message: `expected handset ${expectedIds[i]}, got ${demand.handsetIds[i]}` });
        break;
      }
    }
  }
  const columns: [string, { length: number }][] = [
    ['cpu_mhz', demand.cpuMhz],
    ['memory_mb', demand.memoryMb],
    ['radio_kbps', demand.radioKbps],
    ['screen_on', demand.screenOn],
    ['app', demand.app],
    ['world_request', demand.worldRequest],
    ['policy_revision', demand.policyRevision],
    ['policy_applied', demand.policyApplied],
  ];
  for (const [name, column] of columns) {
    if (column.length !== rows) issues.push({ path: `demand.${name}`, rule: 'column-length', message: `has ${column.length} rows, handset_ids has ${rows}` });
  }
  const flows = request.flowRequests ?? { handsetIds: [], kind: [] };
  if (flows.handsetIds.length !== flows.kind.length)
    issues.push({ path: 'flow_requests.kind', rule: 'column-length', message: `has ${flows.kind.length} rows, handset_ids has ${flows.handsetIds.length}` });
  if (issues.length > 0) throw new ValidationError('tick exchange', issues);

  into.tick = demand.tick;
  into.cpuMhz.set(demand.cpuMhz);
  into.memoryMb.set(demand.memoryMb);
  into.radioKbps.set(demand.radioKbps);
  for (let i = 0; i < rows; i++) {
    into.screenOn[i] = demand.screenOn[i] ? 1 : 0;
    into.policyApplied[i] = demand.policyApplied[i] ? 1 : 0;
  }
  into.app.set(demand.app);
  into.worldRequest.set(demand.worldRequest);
  into.policyIndex.set(demand.policyRevision);
  into.flowKind.fill(0);
  for (let k = 0; k < flows.handsetIds.length; k++) {
    const index = indexOf(flows.handsetIds[k]);
    if (index < 0)
      throw new ValidationError('tick exchange', [
        { path: `flow_requests.handset_ids[${k}]`, rule: 'shard-handsets', message: `handset ${flows.handsetIds[k]} is not in shard ${demand.shard}` },
      ]);
    into.flowKind[index] = flows.kind[k];
  }
  return { runId: demand.runId, shard: demand.shard, tick: demand.tick, persona: demand.persona };
}

export function encodeGrant(keys: ExchangeKeys, handsetIds: Uint32Array, grant: GrantBatch, demand: DemandBatch): hypervisor.ExchangeTickResponse {
  const allowed: boolean[] = [];
  const rule: string[] = [];
  for (let i = 0; i < demand.size; i++) {
    if (demand.flowKind[i] !== 0) {
      allowed.push(grant.flowResult[i] === FlowResult.ALLOWED);
      rule.push(flowRule(demand.flowKind[i]));
    }
  }
  return {
    grant: {
      ...keys,
      handsetIds: wireColumn(handsetIds),
      cpuMhzGranted: wireColumn(grant.cpuMhz),
      memoryMbGranted: wireColumn(grant.memoryMb),
      guestState: wireColumn(grant.guestState),
      batteryPermille: wireColumn(grant.batteryPermille),
      powered: wireColumn<boolean>(grant.powered),
      foreground: wireColumn(grant.foreground),
      incomingItems: wireColumn(grant.incomingItems),
    },
    flowDecisions: { allowed, rule },
  };
}

/** Reads a response into the persona's own GrantBatch; flow decisions map back to its demand's flow rows. */
export function decodeGrant(response: hypervisor.ExchangeTickResponse, demand: DemandBatch, into: GrantBatch): void {
  const grant = response.grant;
  if (grant === undefined || grant.handsetIds.length !== into.size) {
    throw new ValidationError('tick exchange', [
      { path: 'grant.handset_ids', rule: 'shard-handsets', message: `expected ${into.size} rows, got ${grant?.handsetIds.length ?? 0}` },
    ]);
  }
  into.tick = grant.tick;
  into.cpuMhz.set(grant.cpuMhzGranted);
  into.memoryMb.set(grant.memoryMbGranted);
  into.guestState.set(grant.guestState);
  into.batteryPermille.set(grant.batteryPermille);
  for (let i = 0; i < into.size; i++) into.powered[i] = grant.powered[i] ? 1 : 0;
  into.foreground.set(grant.foreground);
  into.incomingItems.set(grant.incomingItems);
  const decisions = response.flowDecisions ?? { allowed: [], rule: [] };
  // Locals: FlowResult is a getter on the compiled module's exports, read per row otherwise.
  const { NONE, ALLOWED, BLOCKED } = FlowResult;
  let k = 0;
  for (let i = 0; i < into.size; i++) {
    into.flowResult[i] = demand.flowKind[i] === 0 ? NONE : decisions.allowed[k++] ? ALLOWED : BLOCKED;
  }
}
