// Service identities for calls between Duet's services: a service presents
// "authorization: Bearer <name>.<HMAC-SHA256(key, name)>", made from the stack's service key, and
// the callee learns which service calls, not only that someone knows a secret. Every service
// holding the key can make any identity (docs/security.md): the key keeps strangers out; telling
// the services apart for sure would take a certificate each (mTLS, not built yet). Also the shared
// bearer tokens (admin, viewer), compared in constant time.
import { Inject, Injectable, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The services that call others. */
export type ServiceName = 'persona-runtime' | 'hypervisor-core' | 'policy-authority' | 'telemetry';

export const MIN_SERVICE_KEY_LENGTH = 32; // characters

export class ServiceIdentities {
  private readonly key: Buffer;

  constructor(key: string) {
    if (key.length < MIN_SERVICE_KEY_LENGTH) throw new Error(`the service identity key must be at least ${MIN_SERVICE_KEY_LENGTH} characters`);
    this.key = Buffer.from(key, 'utf8');
  }

  /** The bearer token `service` presents. */
  tokenOf(service: ServiceName): string {
    return `${service}.${this.signature(service)}`;
  }

  /** The service a presented `authorization` value ("Bearer name.signature") proves, or undefined. */
  serviceOf(authorization: string | undefined): string | undefined {
    const match = /^Bearer ([a-z-]{1,40})\.([A-Za-z0-9_-]{43})$/.exec(authorization ?? '');
    if (match === null) return undefined;
    const expected = Buffer.from(this.signature(match[1]), 'utf8');
    const presented = Buffer.from(match[2], 'utf8');
    return presented.length === expected.length && timingSafeEqual(presented, expected) ? match[1] : undefined;
  }

  private signature(service: string): string {
    return createHmac('sha256', this.key).update(`duet-service:${service}`).digest('base64url');
  }
}

/** The first `authorization` value of gRPC metadata (or an HTTP header), if it is text. */
export function authorizationOf(metadata: { get(key: string): unknown[] } | undefined): string | undefined {
  const value = metadata?.get('authorization')[0];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Lets an RPC through only for a caller with a service identity (UNAUTHENTICATED otherwise, and
 * always when the process was given no service key: secure when unconfigured). Provide
 * ServiceIdentities in the module to use it.
 */
@Injectable()
export class ServiceIdentityGuard implements CanActivate {
  constructor(@Optional() @Inject(ServiceIdentities) private readonly identities: ServiceIdentities | null) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'rpc') return true;
    const authorization = authorizationOf(context.switchToRpc().getContext<{ get(key: string): unknown[] }>());
    if (this.identities?.serviceOf(authorization) !== undefined) return true;
    throw new RpcException({
      code: UNAUTHENTICATED,
      message:
        authorization === undefined
          ? 'authorization: is missing; this method serves Duet services only ("Bearer <service identity>")'
          : 'authorization: is not a Duet service identity',
    });
  }
}

const UNAUTHENTICATED = 16;

/** A shared bearer token (the admin's, the viewer's), compared in constant time. */
export class BearerToken {
  private readonly expected: Buffer;

  constructor(token: string) {
    this.expected = Buffer.from(`Bearer ${token}`, 'utf8');
  }

  /** Whether `authorization` (an Authorization header or metadata value) is "Bearer <token>". */
  matches(authorization: unknown): boolean {
    if (typeof authorization !== 'string') return false;
    const presented = Buffer.from(authorization, 'utf8');
    return presented.length === this.expected.length && timingSafeEqual(presented, this.expected);
  }
}
