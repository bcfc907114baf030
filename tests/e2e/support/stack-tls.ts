// Clients that trust a `duet stack up` stack's CA (DUET_TLS_CA in its environment, the PEM file in
// <stack dir>/tls): fetch for its https:// ports and gRPC channel credentials, as service-kit makes
// them for the duet command, so the specs talk to the stack the way its users do.
import type { ChannelCredentials } from '@grpc/grpc-js';
import { grpcChannelCredentials, trustingFetch } from '@duet/service-kit';

/** The stack's CA file; fails when the environment has none (the stack serves TLS only). */
export function stackCa(environment: Readonly<Record<string, string>>): string {
  const ca = environment.DUET_TLS_CA;
  if (!ca) throw new Error('the stack environment has no DUET_TLS_CA: was it started by this build of `duet stack up`?');
  return ca;
}

/** fetch whose https:// connections are verified with the stack's CA. */
export function stackFetch(environment: Readonly<Record<string, string>>): typeof fetch {
  return trustingFetch(stackCa(environment));
}

/** gRPC channel credentials verified with the stack's CA. */
export function stackGrpcCredentials(environment: Readonly<Record<string, string>>): ChannelCredentials {
  return grpcChannelCredentials(stackCa(environment));
}
