// Plain @grpc/grpc-js clients of duet.policy.v1, built from the .proto with @grpc/proto-loader (the
// way another language's agent would reach policy-authority), promisified with a deadline.
import { Client, credentials, loadPackageDefinition, Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { GRPC_LOADER_OPTIONS, PROTO_ROOT, type policy } from '@duet/contracts';
import { join } from 'node:path';

const DEADLINE_MS = 15_000;

type ClientConstructor = new (address: string, channelCredentials: ReturnType<typeof credentials.createInsecure>, options?: object) => Client;
type Unary = (request: unknown, metadata: Metadata, options: { deadline: number }, callback: (error: ServiceError | null, response: unknown) => void) => void;

/** One gRPC method: request in, response (or the ServiceError) out. */
export type Call<Request, Response> = (request: Partial<Request>, metadata?: Metadata) => Promise<Response>;

export interface AgentClient {
  enroll: Call<policy.EnrollRequest, policy.EnrollResponse>;
  checkIn: Call<policy.CheckInRequest, policy.CheckInResponse>;
  enrollBatch: Call<policy.EnrollBatchRequest, policy.EnrollBatchResponse>;
  checkInBatch: Call<policy.CheckInBatchRequest, policy.CheckInBatchResponse>;
  /** Collects `count` messages of the stream, then cancels it. */
  streamPolicyChanges(request: Partial<policy.StreamPolicyChangesRequest>, count: number): Promise<policy.StreamPolicyChangesResponse[]>;
}

export interface AdminClient {
  createPolicy: Call<policy.CreatePolicyRequest, policy.CreatePolicyResponse>;
  publishPolicy: Call<policy.PublishPolicyRequest, policy.PublishPolicyResponse>;
  getPolicy: Call<policy.GetPolicyRequest, policy.GetPolicyResponse>;
  listPolicies: Call<policy.ListPoliciesRequest, policy.ListPoliciesResponse>;
  assignPolicy: Call<policy.AssignPolicyRequest, policy.AssignPolicyResponse>;
  createEnrollmentToken: Call<policy.CreateEnrollmentTokenRequest, policy.CreateEnrollmentTokenResponse>;
  issueCommand: Call<policy.IssueCommandRequest, policy.IssueCommandResponse>;
  listCompliance: Call<policy.ListComplianceRequest, policy.ListComplianceResponse>;
}

export function bearer(token: string): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

export function policyClients(address: string): { agent: AgentClient; admin: AdminClient; close(): void } {
  const definition = loadSync(join(PROTO_ROOT, 'duet', 'policy', 'v1', 'policy.proto'), {
    ...GRPC_LOADER_OPTIONS,
    includeDirs: [...GRPC_LOADER_OPTIONS.includeDirs],
  });
  const policyPackage = (loadPackageDefinition(definition) as unknown as { duet: { policy: { v1: Record<string, ClientConstructor> } } }).duet.policy.v1;
  const options = { 'grpc.max_receive_message_length': 64 * 1024 * 1024 };
  const agentClient = new policyPackage.PolicyService(address, credentials.createInsecure(), options);
  const adminClient = new policyPackage.PolicyAdminService(address, credentials.createInsecure(), options);
  const unary =
    <Request, Response>(client: Client, method: string): Call<Request, Response> =>
    (request, metadata = new Metadata()) =>
      new Promise((resolve, reject) => {
        const invoke = (client as unknown as Record<string, Unary>)[method].bind(client);
        invoke(request, metadata, { deadline: Date.now() + DEADLINE_MS }, (error, response) => (error ? reject(error) : resolve(response as Response)));
      });
  return {
    agent: {
      enroll: unary(agentClient, 'enroll'),
      checkIn: unary(agentClient, 'checkIn'),
      enrollBatch: unary(agentClient, 'enrollBatch'),
      checkInBatch: unary(agentClient, 'checkInBatch'),
      streamPolicyChanges: (request, count) =>
        new Promise((resolve, reject) => {
          const received: policy.StreamPolicyChangesResponse[] = [];
          const stream = (
            agentClient as unknown as Record<string, (request: unknown, options: object) => NodeJS.EventEmitter & { cancel(): void }>
          ).streamPolicyChanges(request, { deadline: Date.now() + DEADLINE_MS });
          stream.on('data', (message: policy.StreamPolicyChangesResponse) => {
            received.push(message);
            if (received.length === count) {
              stream.cancel();
              resolve(received);
            }
          });
          stream.on('error', (error: ServiceError) => {
            if (received.length < count) reject(error);
          });
        }),
    },
    admin: {
      createPolicy: unary(adminClient, 'createPolicy'),
      publishPolicy: unary(adminClient, 'publishPolicy'),
      getPolicy: unary(adminClient, 'getPolicy'),
      listPolicies: unary(adminClient, 'listPolicies'),
      assignPolicy: unary(adminClient, 'assignPolicy'),
      createEnrollmentToken: unary(adminClient, 'createEnrollmentToken'),
      issueCommand: unary(adminClient, 'issueCommand'),
      listCompliance: unary(adminClient, 'listCompliance'),
    },
    close: () => {
      agentClient.close();
      adminClient.close();
    },
  };
}

/**
 * Sends `bytes` as the request of `path` ("/duet.policy.v1.PolicyService/CheckIn") as they are,
 * the way a broken or hostile client would; the ServiceError or the response bytes.
 */
export function rawUnary(address: string, path: string, bytes: Buffer, metadata = new Metadata()): Promise<ServiceError | Buffer> {
  const client = new Client(address, credentials.createInsecure());
  const identity = (buffer: Buffer) => buffer;
  return new Promise<ServiceError | Buffer>((resolve) => {
    client.makeUnaryRequest(path, identity, identity, bytes, metadata, { deadline: Date.now() + DEADLINE_MS }, (error, response) =>
      resolve(error ?? response!),
    );
  }).finally(() => client.close());
}

/** The ServiceError a call failed with; fails the test when it succeeded. */
export async function grpcError(call: Promise<unknown>): Promise<ServiceError> {
  try {
    await call;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('the call succeeded; an error was expected');
}
