// The local stack's own certificate authority: one CA per stack directory and one server
// certificate for 127.0.0.1 and localhost signed by it, made with the openssl command line (Debian's
// `openssl` package, installed with apt when missing). Every service port serves TLS with the server
// certificate, and clients trust the CA's PEM file, which `stack.env` exports as DUET_TLS_CA
// (docs/security.md). Keys are written mode 0600 and never leave the stack directory.
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDebianPackage, runChecked, type StackLog } from './process';

export interface StackCertificates {
  readonly dir: string;
  /** The CA's certificate (PEM): what clients trust; DUET_TLS_CA. */
  readonly caFile: string;
  /** The server certificate (PEM) for 127.0.0.1 and localhost, signed by the CA. */
  readonly certFile: string;
  /** The server certificate's private key (PKCS#8 PEM, unencrypted, mode 0600). */
  readonly keyFile: string;
}

export interface CertificateOptions {
  /** Extra subject alternative names (DNS names) besides localhost, e.g. service names in compose. */
  readonly dnsNames?: readonly string[];
  /** Validity of the server certificate; default 825 days (the longest browsers accept). */
  readonly days?: number;
  readonly log?: StackLog;
}

const CA_DAYS = 3650;
const SERVER_DAYS = 825;
const OPENSSL_TIMEOUT_MS = 60_000;

/** The files that ensureStackCertificates writes under dir, whether they exist yet or not. */
export function stackCertificateFiles(dir: string): StackCertificates {
  return { dir, caFile: join(dir, 'ca.pem'), certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server.key') };
}

/**
 * Makes the CA and the server certificate in dir unless they are already there (a stack that is
 * brought up again keeps its CA, so clients that trust it keep working). Returns their paths.
 */
export async function ensureStackCertificates(dir: string, options: CertificateOptions = {}): Promise<StackCertificates> {
  const files = stackCertificateFiles(dir);
  if (existsSync(files.caFile) && existsSync(files.certFile) && existsSync(files.keyFile)) return files;
  await ensureDebianPackage(
    {
      label: 'OpenSSL',
      packageName: 'openssl',
      find: () => (existsSync('/usr/bin/openssl') ? '/usr/bin/openssl' : undefined),
      appears: '/usr/bin/openssl',
      missingHint: 'install openssl',
    },
    { log: options.log },
  );
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caKey = join(dir, 'ca.key');
  const openssl = (args: string[]) => runChecked('openssl', args, { cwd: dir, timeoutMs: OPENSSL_TIMEOUT_MS, missingHint: 'install openssl' });
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', caKey]);
  await openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    caKey,
    '-sha256',
    '-days',
    String(CA_DAYS),
    '-subj',
    '/CN=Duet local stack CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-out',
    files.caFile,
  ]);
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', files.keyFile]);
  const csr = join(dir, 'server.csr');
  await openssl(['req', '-new', '-key', files.keyFile, '-subj', '/CN=localhost', '-out', csr]);
  const names = ['DNS:localhost', 'IP:127.0.0.1', ...(options.dnsNames ?? []).map((name) => `DNS:${name}`)];
  const extensions = join(dir, 'server.ext');
  writeFileSync(extensions, `subjectAltName=${names.join(',')}\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n`);
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    files.caFile,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-sha256',
    '-days',
    String(options.days ?? SERVER_DAYS),
    '-extfile',
    extensions,
    '-out',
    files.certFile,
  ]);
  for (const key of [caKey, files.keyFile]) chmodSync(key, 0o600);
  return files;
}
