import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { BearerToken } from '@duet/service-kit';
import { RequestError } from '../domain/request-error';
import { PolicyAuthoritySettings } from '../policy-authority.settings';

/** The admin API's authentication: "Bearer <ADMIN_TOKEN>" in the HTTP Authorization header or the gRPC `authorization` metadata. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly token: BearerToken;

  constructor(settings: PolicyAuthoritySettings) {
    this.token = new BearerToken(settings.adminToken);
  }

  canActivate(context: ExecutionContext): boolean {
    const presented =
      context.getType() === 'rpc'
        ? context.switchToRpc().getContext<Metadata>().get('authorization')[0]
        : context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>().headers.authorization;
    if (this.isAdmin(presented)) return true;
    throw new RequestError('unauthenticated', 'admin API', [
      {
        path: 'authorization',
        rule: 'bearer-token',
        message: presented === undefined ? 'is missing; send "Bearer <ADMIN_TOKEN>"' : 'is not "Bearer <ADMIN_TOKEN>"',
      },
    ]);
  }

  /** Whether `presented` (an Authorization value) is "Bearer <ADMIN_TOKEN>". */
  isAdmin(presented: unknown): boolean {
    return this.token.matches(presented);
  }
}
