// Transport security of Duet's ports (docs/security.md): a service serves TLS on its gRPC and HTTP
// ports when DUET_TLS_CERT and DUET_TLS_KEY name its certificate and key, plaintext when neither is
// set (the service integration specs, which run servers in-process); a client trusts the CA whose PEM
// file DUET_TLS_CA names. `duet stack up` sets all three for every service and exports DUET_TLS_CA
// in stack.env.
import { existsSync, readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { Agent, fetch as undiciFetch } from 'undici';
import { ConfigError, environment, readPemFile } from './config';
import { quoted } from './quoted';

/** The certificate (chain) and key a server presents, PEM. */
export interface ServerTls {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** The TLS variables of a service's environment, as its schema (tlsEnvironment) parsed them. */
export interface TlsVariables {
  readonly DUET_TLS_CERT?: string;
  readonly DUET_TLS_KEY?: string;
  readonly DUET_TLS_CA?: string;
}

/** The schema fields every service spreads into its environment schema. */
export const tlsEnvironment = {
  /** The server certificate (PEM); with DUET_TLS_KEY, every port serves TLS only. */
  DUET_TLS_CERT: environment.pemFile(),
  DUET_TLS_KEY: environment.pemFile(),
  /** The CA (PEM) the service's own clients trust (persona-runtime to policy-authority). */
  DUET_TLS_CA: environment.pemFile(),
};

/** The server's certificate and key, or undefined (plaintext) when neither variable is set; one without the other is a ConfigError. */
export function serverTls(service: string, variables: TlsVariables): ServerTls | undefined {
  const { DUET_TLS_CERT: certFile, DUET_TLS_KEY: keyFile } = variables;
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    throw new ConfigError(service, [
      `${certFile === undefined ? 'DUET_TLS_CERT' : 'DUET_TLS_KEY'}: required when the other of DUET_TLS_CERT and DUET_TLS_KEY is set`,
    ]);
  }
  return { cert: readPemFile(service, 'DUET_TLS_CERT', certFile), key: readPemFile(service, 'DUET_TLS_KEY', keyFile) };
}

/** What a gRPC server binds with: TLS when the service has a certificate, else plaintext. */
export function grpcServerCredentials(tls: ServerTls | undefined): grpc.ServerCredentials {
  if (tls === undefined) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }], false);
}

/** Nest's `httpsOptions` (NestFactory.create) for a service's HTTP port: HTTPS only when it has a certificate. */
export function httpsOptions(tls: ServerTls | undefined): { httpsOptions?: { cert: Buffer; key: Buffer } } {
  return tls === undefined ? {} : { httpsOptions: { cert: tls.cert, key: tls.key } };
}

/** The CA file DUET_TLS_CA names (a service's parsed config or an environment), or undefined; a file that is not there is a ConfigError. */
export function tlsCaFile(variables: TlsVariables | NodeJS.ProcessEnv = process.env, service = 'duet'): string | undefined {
  const file = variables.DUET_TLS_CA || undefined;
  if (file !== undefined && !existsSync(file)) throw new ConfigError(service, [`DUET_TLS_CA: no such file: ${quoted(file)}`]);
  return file;
}

/** gRPC channel credentials: TLS verified against the CA in caFile when given, else plaintext. */
export function grpcChannelCredentials(caFile: string | undefined): grpc.ChannelCredentials {
  return caFile === undefined ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(readFileSync(caFile));
}

const trustingFetches = new Map<string, typeof fetch>();

/**
 * fetch whose https:// connections trust the CA in caFile (and only it: the stack's ports); plain
 * fetch when caFile is undefined. undici's fetch takes a dispatcher whose TLS options name the CA.
 */
export function trustingFetch(caFile: string | undefined): typeof fetch {
  if (caFile === undefined) return fetch;
  let trusting = trustingFetches.get(caFile);
  if (trusting === undefined) {
    const dispatcher = new Agent({ connect: { ca: readFileSync(caFile) } });
    // undici's own fetch with its own Agent: Node 20's built-in fetch bundles an older undici.
    const withCa = (input: Parameters<typeof fetch>[0], init?: RequestInit) => undiciFetch(input as string, { ...(init as object), dispatcher });
    trusting = withCa as unknown as typeof fetch;
    trustingFetches.set(caFile, trusting);
  }
  return trusting;
}
