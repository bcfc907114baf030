import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { RateLimiter } from '../domain/rate-limit';
import { PolicyAuthoritySettings } from '../policy-authority.settings';

/**
 * PolicyService's per-client rate limit, by the caller's address: RESOURCE_EXHAUSTED with the
 * delay in google.rpc.RetryInfo (grpc-status-details-bin, what gRPC clients' retry helpers read)
 * and in `retry-after-ms`. Off when the settings give no limit.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly limiter: RateLimiter | undefined;

  constructor(settings: PolicyAuthoritySettings) {
    this.limiter = settings.rateLimitPerSecond > 0 ? new RateLimiter(settings.rateLimitPerSecond) : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.limiter === undefined || context.getType() !== 'rpc') return true;
    const call = context.getArgByIndex<{ getPeer?: () => string } | undefined>(2);
    const retryAfterMs = this.limiter.take(clientOf(call?.getPeer?.() ?? ''), Date.now());
    if (retryAfterMs === 0) return true;
    const message = `rate limit of ${this.limiter.perSecond} requests a second per client exceeded; retry in ${retryAfterMs} ms`;
    const metadata = new Metadata();
    metadata.set('retry-after-ms', String(retryAfterMs));
    metadata.set('grpc-status-details-bin', retryStatus(GrpcStatus.RESOURCE_EXHAUSTED, message, retryAfterMs));
    throw new RpcException({ code: GrpcStatus.RESOURCE_EXHAUSTED, message, metadata });
  }
}

// "ipv4:127.0.0.1:50514", "[::1]:50514", "127.0.0.1:50514" → the address without the port.
function clientOf(peer: string): string {
  return peer.replace(/^ipv[46]:/, '').replace(/:\d+$/, '');
}

/** google.rpc.Status { code, message, details: [Any(google.rpc.RetryInfo { retry_delay })] }. */
function retryStatus(code: number, message: string, retryAfterMs: number): Buffer {
  const delay = new BinaryWriter()
    .uint32(8)
    .int64(Math.floor(retryAfterMs / 1000))
    .uint32(16)
    .int32((retryAfterMs % 1000) * 1_000_000)
    .finish();
  const retryInfo = new BinaryWriter().uint32(10).bytes(delay).finish();
  const any = new BinaryWriter().uint32(10).string('type.googleapis.com/google.rpc.RetryInfo').uint32(18).bytes(retryInfo).finish();
  return Buffer.from(new BinaryWriter().uint32(8).int32(code).uint32(18).string(message).uint32(26).bytes(any).finish());
}
