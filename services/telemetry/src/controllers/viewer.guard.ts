import { Inject, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { BearerToken, authorizationOf } from '@duet/service-kit';
import type { Request, Response } from 'express';
import { TelemetrySettings } from '../telemetry.settings';

/** The cookie a browser holds the viewer token in, set by opening /dashboard?token=<VIEWER_TOKEN>. */
export const VIEWER_COOKIE = 'duet_viewer';
const UNAUTHENTICATED = 16;
// The page a browser opens with ?token= once: it keeps the token in the cookie and drops it from the address.
export const DASHBOARD_PAGE = '/dashboard';

/**
 * telemetry's read-only access: the query APIs (HTTP, gRPC) and the dashboard answer callers that
 * show the viewer token, as "authorization: Bearer <VIEWER_TOKEN>" or, for a browser, the cookie.
 * Everyone else gets 401 / UNAUTHENTICATED. Health and metrics stay open (probes, Prometheus).
 */
@Injectable()
export class ViewerGuard implements CanActivate {
  private readonly token: BearerToken | undefined;

  constructor(@Inject(TelemetrySettings) settings: TelemetrySettings) {
    this.token = settings.viewerToken === undefined ? undefined : new BearerToken(settings.viewerToken);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.token === undefined) return true;
    if (context.getType() === 'rpc') {
      if (this.token.matches(authorizationOf(context.switchToRpc().getContext()))) return true;
      throw new RpcException({ code: UNAUTHENTICATED, message: 'authorization: send "Bearer <VIEWER_TOKEN>" [bearer-token]' });
    }
    const request = context.switchToHttp().getRequest<Request>();
    if (this.token.matches(request.headers.authorization)) return true;
    const presented = [cookieOf(request.headers.cookie, VIEWER_COOKIE), request.path === DASHBOARD_PAGE ? request.query.token : undefined];
    if (presented.some((token) => typeof token === 'string' && this.token!.matches(`Bearer ${token}`))) return true;
    context.switchToHttp().getResponse<Response>().set('www-authenticate', 'Bearer');
    throw new UnauthorizedException({
      error: 'Unauthorized',
      issues: [
        {
          parameter: 'authorization',
          rule: 'bearer-token',
          message: `send "Bearer <VIEWER_TOKEN>", or open ${DASHBOARD_PAGE}?token=<VIEWER_TOKEN> in a browser`,
        },
      ],
    });
  }
}

function cookieOf(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}
