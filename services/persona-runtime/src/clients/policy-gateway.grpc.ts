import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { GRPC_LOADER_OPTIONS, PROTO_ROOT, type policy } from '@duet/contracts';
import { PolicyGateway } from '../domain/ports';
import { grpcChannelCredentials, type UnaryCall } from '@duet/service-kit';
import { unary } from './grpc-unary';

/** policy-authority over gRPC (duet.policy.v1.PolicyService), the batch calls the simulation uses. */
export class GrpcPolicyGateway extends PolicyGateway {
  private readonly client: grpc.Client & {
    EnrollBatch: UnaryCall<policy.EnrollBatchRequest, policy.EnrollBatchResponse>;
    CheckInBatch: UnaryCall<policy.CheckInBatchRequest, policy.CheckInBatchResponse>;
  };

  private readonly metadata = new grpc.Metadata();

  /**
   * `authorization`: what the calls show policy-authority ("Bearer <service identity>", or the admin's in a load test), if anything;
   * `caFile`: the CA (PEM) its TLS certificate is verified with (DUET_TLS_CA), plaintext when undefined.
   */
  constructor(address: string, authorization?: string, caFile?: string) {
    super();
    if (authorization !== undefined) this.metadata.set('authorization', authorization);
    const definition = protoLoader.loadSync(join(PROTO_ROOT, 'duet/policy/v1/policy.proto'), { ...GRPC_LOADER_OPTIONS, includeDirs: [PROTO_ROOT] });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as { duet: { policy: { v1: { PolicyService: grpc.ServiceClientConstructor } } } };
    this.client = new loaded.duet.policy.v1.PolicyService(address, grpcChannelCredentials(caFile)) as unknown as typeof this.client;
  }

  enrollBatch(request: policy.EnrollBatchRequest): Promise<policy.EnrollBatchResponse> {
    return unary(this.client.EnrollBatch.bind(this.client), request, 'policy-authority', this.metadata);
  }

  checkInBatch(request: policy.CheckInBatchRequest): Promise<policy.CheckInBatchResponse> {
    return unary(this.client.CheckInBatch.bind(this.client), request, 'policy-authority', this.metadata);
  }

  close(): void {
    this.client.close();
  }
}
