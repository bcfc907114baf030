import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { GRPC_LOADER_OPTIONS, PROTO_ROOT, type hypervisor } from '@duet/contracts';
import { withPlainColumns } from '@duet/service-kit';
import { HypervisorPeer, PeerUnavailable } from '../domain/ports';

const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
const EXCHANGE_DEADLINE_MS = 120_000; // an exchange waits for the other persona's demand too
const RETRYABLE = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.RESOURCE_EXHAUSTED]);

type UnaryCall<Request, Response> = (
  request: Request,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response: Response) => void,
) => void;

/** hypervisor-core over gRPC (duet.hypervisor.v1.HypervisorService). */
export class GrpcHypervisorPeer extends HypervisorPeer {
  private readonly client: grpc.Client & { ExchangeTick: UnaryCall<hypervisor.ExchangeTickRequest, hypervisor.ExchangeTickResponse> };

  constructor(address: string) {
    super();
    const definition = protoLoader.loadSync(join(PROTO_ROOT, 'duet/hypervisor/v1/hypervisor.proto'), { ...GRPC_LOADER_OPTIONS, includeDirs: [PROTO_ROOT] });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as { duet: { hypervisor: { v1: { HypervisorService: grpc.ServiceClientConstructor } } } };
    const Client = loaded.duet.hypervisor.v1.HypervisorService;
    this.client = new Client(address, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    }) as unknown as typeof this.client;
  }

  exchangeTick(request: hypervisor.ExchangeTickRequest): Promise<hypervisor.ExchangeTickResponse> {
    return unary(this.client.ExchangeTick.bind(this.client), withPlainColumns(request), 'hypervisor-core');
  }

  close(): void {
    this.client.close();
  }
}

export function unary<Request, Response>(
  call: UnaryCall<Request, Response>,
  request: Request,
  peer: string,
  metadata = new grpc.Metadata(),
): Promise<Response> {
  return new Promise((resolve, reject) => {
    call(request, metadata, { deadline: Date.now() + EXCHANGE_DEADLINE_MS }, (error, response) => {
      if (error === null) resolve(response);
      else if (RETRYABLE.has(error.code)) reject(new PeerUnavailable(peer, error.details || error.message));
      else reject(error);
    });
  });
}
