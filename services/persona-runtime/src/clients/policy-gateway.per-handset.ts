// Per-handset traffic (`duet run --traffic per-handset`, docs/decisions/0010-per-handset-traffic.md):
// the agents of a shard's batch each make their own unary Enroll or CheckIn call, at a moment
// spread by seeded jitter over the first part of the tick, on a pool of HTTP/2 connections, the way
// a fleet reaches a real MDM back end. Open model: a call goes out at its intended time whatever
// the calls before it are doing, and its latency counts from that intended time. A call the server
// cannot take now (UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED) is retried with exponential
// backoff and full jitter; a refusal is the handset's answer. Nothing per handset is kept between
// calls but the ids of commands received and not yet acknowledged: credentials and state stay in
// the runner's columns.
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { GRPC_LOADER_OPTIONS, PROTO_ROOT, type policy } from '@duet/contracts';
import { grpcChannelCredentials, PROCESS_METRICS, type Metrics, type UnaryCall } from '@duet/service-kit';
import { type CheckInBatchAnswer, type EnrollBatchAnswer, type PolicyCallSchedule } from '../domain/ports';
import { RecordedPolicyGateway, type PolicyMethod } from './policy-call.recorder';
import { statusName } from './policy-gateway.measured';

export interface PerHandsetSettings {
  /** host:port of the policy authority (duet.policy.v1.PolicyService). */
  readonly address: string;
  /** HTTP/2 connections the calls share, handsets assigned round-robin by id. */
  readonly connections: number;
  /** The CA (PEM file) its TLS certificate is verified with (DUET_TLS_CA); plaintext when undefined. */
  readonly caFile?: string;
}

// Calls go out over the first part of a paced tick, so the answers (and an enrollment's check-in
// right after it) are in before the tick is due to end.
const SPREAD_SHARE_OF_TICK = 0.4;
const CALL_DEADLINE_MS = 30_000;
const MAX_ATTEMPTS = 6; // the first and five retries
const BACKOFF_FIRST_MS = 50;
const BACKOFF_MAX_MS = 5_000;
const RETRYABLE = new Set([grpc.status.UNAVAILABLE, grpc.status.RESOURCE_EXHAUSTED, grpc.status.DEADLINE_EXCEEDED]);

type PolicyClient = grpc.Client & {
  Enroll: UnaryCall<policy.EnrollRequest, policy.EnrollResponse>;
  CheckIn: UnaryCall<policy.CheckInRequest, policy.CheckInResponse>;
};

/** A call that got no answer to use: the status it ended with (refused, or still unreachable after the retries). */
class CallFailed {
  constructor(readonly status: string) {}
}

export class PerHandsetPolicyGateway extends RecordedPolicyGateway {
  override readonly timesEachCall = true;
  private readonly clients: PolicyClient[];
  // Commands received and not yet acknowledged, by run and handset: only handsets that got some.
  private readonly executed = new Map<string, string[]>();

  constructor(
    settings: PerHandsetSettings,
    /** Wall milliseconds, monotonic. */
    private readonly now: () => number = () => performance.now(),
    /** Where each call's duration also goes (duet_rpc_duration_seconds, side client), for Prometheus. */
    private readonly metrics: Metrics = PROCESS_METRICS,
  ) {
    super();
    const definition = protoLoader.loadSync(join(PROTO_ROOT, 'duet/policy/v1/policy.proto'), { ...GRPC_LOADER_OPTIONS, includeDirs: [PROTO_ROOT] });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as { duet: { policy: { v1: { PolicyService: grpc.ServiceClientConstructor } } } };
    // A local subchannel pool per client: each holds its own HTTP/2 connection.
    this.clients = Array.from(
      { length: settings.connections },
      () =>
        new loaded.duet.policy.v1.PolicyService(settings.address, grpcChannelCredentials(settings.caFile), {
          'grpc.use_local_subchannel_pool': 1,
        }) as unknown as PolicyClient,
    );
  }

  async enrollBatch(request: policy.EnrollBatchRequest, schedule?: PolicyCallSchedule): Promise<EnrollBatchAnswer> {
    const rows = request.handsetIds.length;
    const deviceCredentials = new Array<string>(rows).fill('');
    const assignedRevision = new Array<number>(rows).fill(0);
    const failed = new Map<number, string>();
    const origin = this.origin(schedule);
    await Promise.all(
      request.handsetIds.map(async (handsetId, row) => {
        const answer = await this.call('Enroll', request.runId, handsetId, request.tick, origin, schedule, (client) => client.Enroll.bind(client), {
          enrollmentToken: request.enrollmentToken,
          runId: request.runId,
          handsetId,
          model: request.models[row],
          group: request.groups[row],
          tick: request.tick,
          apiLevel: 0,
          hypervisorVersion: '',
        });
        if (answer instanceof CallFailed) failed.set(row, answer.status);
        else {
          deviceCredentials[row] = answer.credential;
          assignedRevision[row] = answer.assignedRevision;
        }
      }),
    );
    return { deviceCredentials, assignedRevision, perHandset: { failed, commands: new Map() } };
  }

  async checkInBatch(request: policy.CheckInBatchRequest, schedule?: PolicyCallSchedule): Promise<CheckInBatchAnswer> {
    const rows = request.handsetIds.length;
    const assignedRevision = new Array<number>(rows).fill(0);
    const failed = new Map<number, string>();
    const commands = new Map<number, readonly policy.Command[]>();
    const origin = this.origin(schedule);
    await Promise.all(
      request.handsetIds.map(async (handsetId, row) => {
        const answer = await this.call('CheckIn', request.runId, handsetId, request.tick, origin, schedule, (client) => client.CheckIn.bind(client), {
          runId: request.runId,
          handsetId,
          credential: request.deviceCredentials[row],
          batteryPermille: request.batteryPermille[row],
          tick: request.tick,
          executedCommandIds: this.executed.get(executedKey(request.runId, handsetId)) ?? [],
          appliedRevision: request.appliedRevision[row],
          complianceMask: request.complianceMask[row],
        });
        if (answer instanceof CallFailed) failed.set(row, answer.status);
        else {
          assignedRevision[row] = answer.assignedRevision;
          // Handed to the handset to execute: acknowledged at its next check-in, so not sent again.
          const key = executedKey(request.runId, handsetId);
          this.executed.delete(key);
          if (answer.commands.length > 0) {
            commands.set(row, answer.commands);
            this.executed.set(
              key,
              answer.commands.map((command) => command.commandId),
            );
          }
        }
      }),
    );
    return { assignedRevision, perHandset: { failed, commands } };
  }

  close(): void {
    for (const client of this.clients) client.close();
  }

  // When the tick was due to start: the calls' intended times are spread after it.
  private origin(schedule: PolicyCallSchedule | undefined): number {
    return this.now() - Math.max(0, schedule?.tickLagMilliseconds ?? 0);
  }

  private async call<Request, Response>(
    method: PolicyMethod,
    runId: string,
    handsetId: number,
    tick: number,
    origin: number,
    schedule: PolicyCallSchedule | undefined,
    bind: (client: PolicyClient) => UnaryCall<Request, Response>,
    request: Request,
  ): Promise<Response | CallFailed> {
    const client = bind(this.clients[handsetId % this.clients.length]);
    const scheduled = schedule?.tickLagMilliseconds !== undefined;
    const spread = (schedule?.tickWallMilliseconds ?? 0) * SPREAD_SHARE_OF_TICK;
    let intended = origin + spread * jitter(runId, handsetId, tick);
    for (let attempt = 0; ; attempt++) {
      await sleepUntil(intended, this.now);
      const sent = this.now();
      try {
        const response = await unary(client, request);
        const answered = this.now();
        this.recorder.record({ runId, method, latencyMs: answered - intended, serviceMs: answered - sent, scheduled, handsets: 1, retry: attempt > 0 });
        this.metrics.rpcDuration.observe({ method, side: 'client', code: 'OK' }, (answered - sent) / 1000);
        return response;
      } catch (error) {
        const answered = this.now();
        const status = statusName(error);
        this.recorder.record({
          runId,
          method,
          latencyMs: answered - intended,
          serviceMs: answered - sent,
          scheduled,
          handsets: 1,
          retry: attempt > 0,
          errorCode: status,
        });
        if (!RETRYABLE.has((error as grpc.ServiceError).code) || attempt + 1 >= MAX_ATTEMPTS) return new CallFailed(status);
        // Full jitter (a random wait up to the exponential bound): retries of many agents spread out.
        intended = answered + Math.random() * Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** attempt);
      }
    }
  }
}

function executedKey(runId: string, handsetId: number): string {
  return `${handsetId} ${runId}`;
}

function unary<Request, Response>(call: UnaryCall<Request, Response>, request: Request): Promise<Response> {
  return new Promise((resolve, reject) =>
    call(request, new grpc.Metadata(), { deadline: Date.now() + CALL_DEADLINE_MS }, (error, response) => (error === null ? resolve(response) : reject(error))),
  );
}

async function sleepUntil(at: number, now: () => number): Promise<void> {
  const wait = at - now();
  if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
}

/**
 * Where in the spread handset `handsetId` calls at `tick`, in [0, 1): a hash of the run, the
 * handset and the tick (FNV-1a, then a murmur3 finaliser), so a run's traffic has the same shape
 * every time and needs no state per handset.
 */
export function jitter(runId: string, handsetId: number, tick: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < runId.length; i++) hash = Math.imul(hash ^ runId.charCodeAt(i), 0x01000193);
  hash = Math.imul(hash ^ handsetId, 0x01000193);
  hash = Math.imul(hash ^ tick, 0x01000193);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) / 2 ** 32;
}
