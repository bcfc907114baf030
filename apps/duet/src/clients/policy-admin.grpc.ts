// The load-test target's admin side: a policy authority reached over gRPC
// (duet.policy.v1.PolicyAdminService), so `duet run --policy-authority HOST:PORT` works against any
// server that implements the contract, not only Duet's own (whose HTTP admin API is a convenience).
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { GRPC_LOADER_OPTIONS, PROTO_ROOT, policy } from '@duet/contracts';
import { grpcChannelCredentials, type UnaryCall } from '@duet/service-kit';
import type { PolicyAdmin } from './policy-admin';

const ADMIN_DEADLINE_MS = 30_000; // one admin call; a back end slower than this is not ready for a load test
const READY_DEADLINE_MS = 10_000; // to connect before the run

type AdminClient = grpc.Client & {
  CreatePolicy: UnaryCall<policy.CreatePolicyRequest, policy.CreatePolicyResponse>;
  PublishPolicy: UnaryCall<policy.PublishPolicyRequest, policy.PublishPolicyResponse>;
  CreateEnrollmentToken: UnaryCall<policy.CreateEnrollmentTokenRequest, policy.CreateEnrollmentTokenResponse>;
};

export class GrpcPolicyAdmin implements PolicyAdmin {
  private readonly client: AdminClient;

  private constructor(
    readonly address: string,
    private readonly adminToken: string,
    caFile: string | undefined,
  ) {
    const definition = protoLoader.loadSync(join(PROTO_ROOT, 'duet/policy/v1/policy.proto'), { ...GRPC_LOADER_OPTIONS, includeDirs: [PROTO_ROOT] });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as { duet: { policy: { v1: { PolicyAdminService: grpc.ServiceClientConstructor } } } };
    this.client = new loaded.duet.policy.v1.PolicyAdminService(address, grpcChannelCredentials(caFile)) as unknown as AdminClient;
  }

  /** Connects (over TLS verified with the CA in caFile when given), or fails naming the address and why. */
  static async connect(address: string, adminToken: string, caFile?: string): Promise<GrpcPolicyAdmin> {
    const admin = new GrpcPolicyAdmin(address, adminToken, caFile);
    try {
      await new Promise<void>((resolve, reject) => admin.client.waitForReady(Date.now() + READY_DEADLINE_MS, (error) => (error ? reject(error) : resolve())));
    } catch (error) {
      admin.close();
      throw new Error(`no policy authority answers gRPC at ${address} (${(error as Error).message})`);
    }
    return admin;
  }

  createPolicy(document: unknown): Promise<policy.CreatePolicyResponse> {
    return this.call('CreatePolicy', this.client.CreatePolicy, { policy: policy.Policy.fromJSON(document) });
  }

  publishPolicy(request: policy.PublishPolicyRequest): Promise<policy.PublishPolicyResponse> {
    return this.call('PublishPolicy', this.client.PublishPolicy, request);
  }

  createEnrollmentToken(request: policy.CreateEnrollmentTokenRequest): Promise<policy.CreateEnrollmentTokenResponse> {
    return this.call('CreateEnrollmentToken', this.client.CreateEnrollmentToken, request);
  }

  close(): void {
    this.client.close();
  }

  private call<Request, Response>(method: string, unary: UnaryCall<Request, Response>, request: Request): Promise<Response> {
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${this.adminToken}`);
    return new Promise((resolve, reject) =>
      unary.call(this.client, request, metadata, { deadline: Date.now() + ADMIN_DEADLINE_MS }, (error, response) => {
        if (error === null) resolve(response);
        else reject(new Error(`policy authority at ${this.address}: ${method}: ${grpc.status[error.code] ?? error.code} ${error.details || error.message}`));
      }),
    );
  }
}
