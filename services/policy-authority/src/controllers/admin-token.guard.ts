import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { timingSafeEqual } from 'node:crypto';
import { RequestError } from '../domain/request-error';
import { PolicyAuthoritySettings } from '../policy-authority.settings';

/** The admin API's authentication: "Bearer <ADMIN_TOKEN>" in the HTTP Authorization header or the gRPC `authorization` metadata. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(settings: PolicyAuthoritySettings) {
    this.expected = Buffer.from(`Bearer ${settings.adminToken}`, 'utf8');
  }

  canActivate(context: ExecutionContext): boolean {
    const presented =
      context.getType() === 'rpc'
        ? context.switchToRpc().getContext<Metadata>().get('authorization')[0]
        : context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>().headers.authorization;
    if (typeof presented === 'string' && this.matches(presented)) return true;
    throw new RequestError('unauthenticated', 'admin API', [
      {
        path: 'authorization',
        rule: 'bearer-token',
        message: presented === undefined ? 'is missing; send "Bearer <ADMIN_TOKEN>"' : 'is not "Bearer <ADMIN_TOKEN>"',
      },
    ]);
  }

  private matches(presented: string): boolean {
    const bytes = Buffer.from(presented, 'utf8');
    return bytes.length === this.expected.length && timingSafeEqual(bytes, this.expected);
  }
}
