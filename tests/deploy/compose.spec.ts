import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { TOPICS, TOPICS_TO_CREATE } from '@duet/contracts';
import { loadHypervisorCoreConfig } from '@duet/hypervisor-core/dist/config';
import { loadPersonaRuntimeConfig } from '@duet/persona-runtime/dist/config';
import { loadPolicyAuthorityConfig } from '@duet/policy-authority/dist/config';
import { loadTelemetryConfig } from '@duet/telemetry/dist/config';
import { kafkaGrants } from '@duet/cli/dist/stack/kafka-principals';
import { CONFIG_LOADERS, loadConfig } from './service-configs';

// No Docker engine runs where the tests do, so nothing here starts a container: these tests read
// docker-compose.yml, .env.example, the Dockerfiles, the topic script and prometheus.yml, and hold
// them to the code they deploy (config schemas, the topic registry, the npm workspace). Package
// imports resolve to the built dist (`npm test` builds first).

const REPOSITORY_ROOT = join(__dirname, '..', '..');

/** The config loader of each service folder (services/<folder>/src/config.ts). */
interface HealthCheck {
  test: string | string[];
}

/** A port in compose's long syntax (`target`, `host_ip`, `published`). */
interface PortConfig {
  target: number | string;
  host_ip?: string;
  published?: number | string;
  protocol?: string;
}

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  container_name?: string;
  hostname?: string;
  deploy?: { replicas?: number };
  scale?: number;
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string | number>;
  ports?: (string | PortConfig)[];
  volumes?: string[];
  healthcheck?: HealthCheck;
  restart?: string;
  depends_on?: Record<string, { condition: string }>;
  mem_limit?: string;
}

/**
 * The service folders that run as several identical replicas (docs/design.md#scale-out-and-failover: shards come from Kafka's
 * consumer groups): hypervisor-core, and persona-runtime once per persona.
 */
const SCALED_FOLDERS = ['hypervisor-core', 'persona-runtime'];

/** Variables that would make one replica differ from another, or name a peer replica: none may be set. */
const PER_REPLICA_VARIABLES = ['SHARDS', 'INSTANCE_ID', 'HYPERVISOR_ADDRESS'];

/**
 * The most members of one consumer group that own shards: the partitions of the shard-keyed topics
 * (shard s lives in partition s % partitions), from the registry.
 */
const SHARD_PARTITIONS = Math.min(...TOPICS.filter((topic) => topic.key === 'shard').map((topic) => topic.partitions));

function readText(path: string): string {
  return readFileSync(join(REPOSITORY_ROOT, path), 'utf8');
}

/** KEY=VALUE lines of an env file; comments and blank lines skipped. */
function parseEnvironmentFile(text: string): Map<string, string> {
  const variables = new Map<string, string>();
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(trimmed);
    if (match === null) throw new Error(`.env.example: not KEY=VALUE: ${line}`);
    if (variables.has(match[1])) throw new Error(`.env.example: ${match[1]} is defined twice`);
    variables.set(match[1], match[2].replace(/^(['"])(.*)\1$/, '$2'));
  }
  return variables;
}

/**
 * Compose's variable substitution ($$, $NAME, ${NAME}, ${NAME:-default}, ${NAME-default},
 * ${NAME:?error}, ${NAME?error}, ${NAME:+other}, ${NAME+other}) over every string of the file.
 */
function interpolate(value: unknown, variables: Map<string, string>, referenced: Set<string>): unknown {
  if (typeof value === 'string') {
    return value.replace(
      /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g,
      (_, dollar, braced, operator, argument, bare) => {
        if (dollar !== undefined) return '$';
        const name: string = braced ?? bare;
        referenced.add(name);
        const current = variables.get(name);
        const set = current !== undefined && (current !== '' || !String(operator).startsWith(':'));
        switch (operator) {
          case ':-':
          case '-':
            return set ? current : argument;
          case ':?':
          case '?':
            if (!set) throw new Error(`docker-compose.yml: ${name} is required (${argument})`);
            return current;
          case ':+':
          case '+':
            return set ? argument : '';
          default:
            return current ?? '';
        }
      },
    );
  }
  if (Array.isArray(value)) return value.map((item) => interpolate(item, variables, referenced));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolate(item, variables, referenced)]));
  }
  return value;
}

/** A port mapping in short ([ip:][published:]target) or long syntax, as host_ip, published (undefined: Docker picks) and target. */
function portMapping(mapping: string | PortConfig): { hostIp?: string; published?: number; target: number } {
  if (typeof mapping === 'object') {
    return {
      hostIp: mapping.host_ip,
      published: mapping.published === undefined || mapping.published === '' ? undefined : Number(mapping.published),
      target: Number(mapping.target),
    };
  }
  const match = /^(?:(\d+\.\d+\.\d+\.\d+):)?(?:(\d*):)?(\d+)(?:\/\w+)?$/.exec(mapping);
  if (match === null) throw new Error(`cannot read port mapping ${mapping}`);
  return { hostIp: match[1], published: match[2] === undefined || match[2] === '' ? undefined : Number(match[2]), target: Number(match[3]) };
}

function stringEnvironment(service: ComposeService): Record<string, string> {
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([name, value]) => [name, String(value)]));
}

function healthCommand(service: ComposeService): string {
  const test = service.healthcheck?.test ?? [];
  return Array.isArray(test) ? test.join(' ') : test;
}

/** Services that run once and exit: no health check. */
const ONE_SHOT_SERVICES = ['kafka-init', 'certificates'];

/** The host directory a service mounts at `target` (a bind mount). */
function hostDirectory(service: ComposeService, target: string): string {
  const volume = (service.volumes ?? []).map((entry) => entry.split(':')).find((parts) => parts[1] === target);
  if (volume === undefined) throw new Error(`nothing is mounted at ${target}`);
  return volume[0];
}

/** The DNS names the certificates service asks make-certificates.sh to put in the server certificate. */
function certificateNames(): string[] {
  const command = (services.certificates.entrypoint ?? []).join(' ');
  const match = /make-certificates\.sh \/tls\s+([\s\S]*)$/.exec(command);
  if (match === null) throw new Error(`certificates: no make-certificates.sh call in ${command}`);
  return match[1].trim().split(/\s+/);
}

/** The user the image's runtime stage runs as. */
function dockerfileUser(): string | undefined {
  return readText('Dockerfile')
    .split('\n')
    .filter((line) => /^USER\s/.test(line))
    .at(-1)
    ?.split(/\s+/)[1];
}

/** Hosts and ports named by an address (host:port, host:port,host:port or a URL). */
function addressesIn(value: string): { host: string; port: number }[] {
  try {
    const url = new URL(value);
    if (url.port !== '') return [{ host: url.hostname, port: Number(url.port) }];
  } catch {
    // not a URL
  }
  return value.split(',').flatMap((part) => {
    const match = /^([A-Za-z0-9.-]+):(\d+)$/.exec(part.trim());
    return match === null ? [] : [{ host: match[1], port: Number(match[2]) }];
  });
}

interface DockerInstruction {
  instruction: string;
  argument: string;
}

/** Dockerfile instructions (continuation lines joined, comments dropped): those before the first FROM, then each stage's. */
function parseDockerfile(text: string): { preamble: DockerInstruction[]; stages: DockerInstruction[][] } {
  const preamble: DockerInstruction[] = [];
  const stages: DockerInstruction[][] = [];
  for (const line of text.replace(/\\\n/g, ' ').split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const [instruction, ...rest] = trimmed.split(/\s+/);
    const entry = { instruction: instruction.toUpperCase(), argument: rest.join(' ') };
    if (entry.instruction === 'FROM') stages.push([]);
    (stages.at(-1) ?? preamble).push(entry);
  }
  return { preamble, stages };
}

interface PackageManifest {
  name: string;
  workspaces?: string[];
  dependencies?: Record<string, string>;
}

const rootManifest = JSON.parse(readText('package.json')) as PackageManifest;
const workspaceFolders = rootManifest.workspaces ?? [];
const manifestsByName = new Map(
  workspaceFolders.map((folder) => {
    const manifest = JSON.parse(readText(join(folder, 'package.json'))) as PackageManifest;
    return [manifest.name, { folder, manifest }] as const;
  }),
);

/** The workspace folders a package needs at run time: itself and its @duet dependencies, transitively. */
function workspaceClosure(name: string, seen = new Set<string>()): Set<string> {
  const entry = manifestsByName.get(name);
  if (entry === undefined || seen.has(entry.folder)) return seen;
  seen.add(entry.folder);
  for (const dependency of Object.keys(entry.manifest.dependencies ?? {})) workspaceClosure(dependency, seen);
  return seen;
}

const serviceFolders = readdirSync(join(REPOSITORY_ROOT, 'services'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(REPOSITORY_ROOT, 'services', entry.name, 'package.json')))
  .map((entry) => entry.name)
  .sort();

const environmentExample = parseEnvironmentFile(readText('.env.example'));
const referenced = new Set<string>();
const compose = interpolate(parse(readText('docker-compose.yml')), environmentExample, referenced) as { services: Record<string, ComposeService> };
const services = compose.services;

/** The compose services that run Duet code, with the service folder their Dockerfile belongs to. */
const duetServices = Object.entries(services)
  .filter(([, service]) => service.build !== undefined)
  .map(([name, service]) => {
    const folder = service.build!.args?.SERVICE;
    if (folder === undefined) throw new Error(`${name}: build.args.SERVICE does not name a folder under services/`);
    return { name, service, folder, environment: stringEnvironment(service) };
  });

/** The Duet services that run as several identical replicas (hypervisor-core, each persona runtime). */
const scaledServices = duetServices.filter((duet) => SCALED_FOLDERS.includes(duet.folder));

/** Ports each compose service listens on inside the network, for checking the addresses others use. */
function listeningPorts(name: string): number[] {
  const service = services[name];
  const duet = duetServices.find((candidate) => candidate.name === name);
  if (duet !== undefined) {
    const { config } = loadConfig(duet.folder, duet.environment);
    return [config.GRPC_PORT, config.HTTP_PORT].filter((port): port is number => typeof port === 'number');
  }
  if (name === 'kafka') return kafkaListeners().map((listener) => listener.port);
  if (name === 'postgres') return [Number(service.environment?.PGPORT ?? 5432)];
  return [];
}

function kafkaListeners(): { name: string; host: string; port: number }[] {
  const environment = stringEnvironment(services.kafka);
  const advertised = environment.KAFKA_ADVERTISED_LISTENERS.split(',').map((listener) => {
    const match = /^(\w+):\/\/([^:]*):(\d+)$/.exec(listener.trim());
    if (match === null) throw new Error(`KAFKA_ADVERTISED_LISTENERS: cannot read ${listener}`);
    return { name: match[1], host: match[2], port: Number(match[3]) };
  });
  for (const listener of advertised) expect(environment.KAFKA_LISTENERS, `listener ${listener.name}`).toContain(`${listener.name}://:${listener.port}`);
  return advertised;
}

describe('.env.example', () => {
  it('defines every variable docker-compose.yml uses', () => {
    const missing = [...referenced].filter((name) => !environmentExample.has(name));
    expect(missing, 'variables docker-compose.yml uses that .env.example lacks').toEqual([]);
  });

  it('has no variable that neither compose nor the code reads', () => {
    const sources = [readText('docker-compose.yml'), ...sourceTexts(['packages', 'services'])].join('\n');
    const unused = [...environmentExample.keys()].filter((name) => !new RegExp(`\\b${name}\\b`).test(sources));
    expect(unused).toEqual([]);
  });

  it('names the host ports of Kafka and PostgreSQL consistently', () => {
    expect(environmentExample.get('KAFKA_BROKERS')).toBe(`127.0.0.1:${environmentExample.get('DUET_KAFKA_PORT')}`);
    const database = new URL(environmentExample.get('DATABASE_URL')!);
    expect(database.port).toBe(environmentExample.get('DUET_POSTGRES_PORT'));
    expect(decodeURIComponent(database.username)).toBe(environmentExample.get('POSTGRES_USER'));
    expect(decodeURIComponent(database.password)).toBe(environmentExample.get('POSTGRES_PASSWORD'));
    expect(database.pathname).toBe(`/${environmentExample.get('POSTGRES_DB')}`);
  });

  it("satisfies the services' own rules for its secrets", () => {
    expect(() =>
      loadPolicyAuthorityConfig({
        DATABASE_URL: environmentExample.get('DATABASE_URL'),
        KAFKA_BROKERS: environmentExample.get('KAFKA_BROKERS'),
        ADMIN_TOKEN: environmentExample.get('ADMIN_TOKEN'),
        ENROLLMENT_SECRET: environmentExample.get('ENROLLMENT_SECRET'),
        SERVICE_IDENTITY_KEY: environmentExample.get('SERVICE_IDENTITY_KEY'),
      }),
    ).not.toThrow();
    expect(() =>
      loadTelemetryConfig({
        DATABASE_URL: environmentExample.get('DATABASE_URL'),
        KAFKA_BROKERS: environmentExample.get('KAFKA_BROKERS'),
        VIEWER_TOKEN: environmentExample.get('VIEWER_TOKEN'),
      }),
    ).not.toThrow();
    expect(() =>
      loadPersonaRuntimeConfig({
        PERSONA: 'personal',
        KAFKA_BROKERS: environmentExample.get('KAFKA_BROKERS'),
        SERVICE_IDENTITY_KEY: environmentExample.get('SERVICE_IDENTITY_KEY'),
        RUN_SECRETS_KEY: environmentExample.get('RUN_SECRETS_KEY'),
      }),
    ).not.toThrow();
  });

  it('gives the local-stack addresses on the ports the services listen on, https:// (TLS only)', () => {
    expect(environmentExample.get('POLICY_AUTHORITY_ADDRESS')).toBe(`127.0.0.1:${environmentExample.get('POLICY_AUTHORITY_GRPC_PORT')}`);
    expect(environmentExample.get('POLICY_AUTHORITY_URL')).toBe(`https://127.0.0.1:${environmentExample.get('POLICY_AUTHORITY_HTTP_PORT')}`);
    expect(environmentExample.get('TELEMETRY_URL')).toBe(`https://127.0.0.1:${environmentExample.get('TELEMETRY_HTTP_PORT')}`);
  });

  it('names as DUET_TLS_CA the CA file compose makes on this machine', () => {
    const made = hostDirectory(services.certificates, '/tls');
    expect(environmentExample.get('DUET_TLS_CA')).toBe(`${made.replace(/^\.\//, '')}/ca.pem`);
  });

  it('names no shard list, instance name or peer address of a scaled role (the consumer groups assign shards)', () => {
    expect([...environmentExample.keys()].filter((name) => PER_REPLICA_VARIABLES.includes(name))).toEqual([]);
  });

  it('gives a CHECKPOINT_TICKS the scaled roles accept', () => {
    const checkpointTicks = environmentExample.get('CHECKPOINT_TICKS');
    expect(checkpointTicks).toBeDefined();
    const hypervisor = loadHypervisorCoreConfig({ KAFKA_BROKERS: environmentExample.get('KAFKA_BROKERS'), CHECKPOINT_TICKS: checkpointTicks });
    expect(hypervisor.CHECKPOINT_TICKS).toBe(Number(checkpointTicks));
    const persona = loadPersonaRuntimeConfig({
      PERSONA: 'personal',
      KAFKA_BROKERS: environmentExample.get('KAFKA_BROKERS'),
      CHECKPOINT_TICKS: checkpointTicks,
    });
    expect(persona.CHECKPOINT_TICKS).toBe(Number(checkpointTicks));
  });
});

function sourceTexts(folders: string[]): string[] {
  const texts: string[] = [];
  const walk = (directory: string): void => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name === 'generated') continue;
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) texts.push(readFileSync(path, 'utf8'));
    }
  };
  for (const folder of folders) walk(join(REPOSITORY_ROOT, folder));
  return texts;
}

describe('docker-compose.yml', () => {
  it('runs every service folder from its Dockerfile, persona-runtime once per persona', () => {
    expect([...new Set(duetServices.map((duet) => duet.folder))].sort()).toEqual(serviceFolders);
    expect(Object.keys(CONFIG_LOADERS).sort()).toEqual(serviceFolders);
    const personas = duetServices.filter((duet) => duet.folder === 'persona-runtime').map((duet) => [duet.name, duet.environment.PERSONA]);
    expect(personas.sort()).toEqual([
      ['persona-runtime-business', 'business'],
      ['persona-runtime-personal', 'personal'],
    ]);
  });

  it('sets a memory limit on every service', () => {
    const unlimited = Object.entries(services)
      .filter(([, service]) => !/^\d+[kmg]$/.test(String(service.mem_limit ?? '')))
      .map(([name]) => name);
    expect(unlimited).toEqual([]);
  });

  it('gives every long-running service a health check', () => {
    const unchecked = Object.entries(services)
      .filter(([name, service]) => !ONE_SHOT_SERVICES.includes(name) && service.healthcheck?.test === undefined)
      .map(([name]) => name);
    expect(unchecked).toEqual([]);
  });

  it('publishes ports on loopback, under the number the container listens on or (scaled services) one Docker picks', () => {
    for (const [name, service] of Object.entries(services)) {
      const scaled = scaledServices.some((candidate) => candidate.name === name);
      for (const mapping of service.ports ?? []) {
        const { hostIp, published, target } = portMapping(mapping);
        expect(hostIp, `${name}: ${JSON.stringify(mapping)}`).toBe('127.0.0.1');
        expect(published, `${name}: ${JSON.stringify(mapping)}`).toBe(scaled ? undefined : target);
      }
    }
  });

  describe.each(duetServices)('$name', ({ name, service, folder, environment }) => {
    it("is built from the one Dockerfile at the repository root, for its service's folder", () => {
      expect(service.build!.context).toBe('.');
      expect(service.build!.dockerfile).toBe('Dockerfile');
      expect(serviceFolders).toContain(folder);
    });

    it("gives every variable its config requires, and no name the config doesn't read", () => {
      const { read } = loadConfig(folder, environment);
      expect(Object.keys(environment).filter((variable) => !read.has(variable))).toEqual([]);
    });

    it('listens on every interface and publishes its ports', () => {
      const { config } = loadConfig(folder, environment);
      for (const host of ['HOST', 'GRPC_HOST', 'HTTP_HOST']) if (host in config) expect(config[host], host).toBe('0.0.0.0');
      const published = (service.ports ?? []).map((mapping) => portMapping(mapping).target);
      for (const port of ['GRPC_PORT', 'HTTP_PORT']) if (port in config) expect(published, port).toContain(config[port]);
    });

    it('serves TLS only, with the certificate the certificates service makes, mounted read-only', () => {
      const mounted = hostDirectory(services.certificates, '/tls');
      const inside = (service.volumes ?? []).find((volume) => volume.startsWith(`${mounted}:`))?.split(':');
      expect(inside, `${mounted} mounted`).toBeDefined();
      expect(inside![2]).toBe('ro');
      expect([environment.DUET_TLS_CERT, environment.DUET_TLS_KEY, environment.DUET_TLS_CA]).toEqual(
        ['server.pem', 'server.key', 'ca.pem'].map((file) => `${inside![1]}/${file}`),
      );
      expect(service.depends_on?.certificates?.condition).toBe('service_completed_successfully');
      // Its peers reach it by its compose name, which its certificate must name.
      expect(certificateNames()).toContain(name);
    });

    it('checks its health on /readyz of its HTTP port, over HTTPS verified with the CA', () => {
      const command = healthCommand(service);
      expect(command).toContain('/readyz');
      expect(command).toContain('require("node:https")');
      expect(command).toContain('ca: require("node:fs").readFileSync(process.env.DUET_TLS_CA)');
      const { config } = loadConfig(folder, environment);
      expect(command.includes('process.env.HTTP_PORT') || command.includes(`:${String(config.HTTP_PORT)}/readyz`), command).toBe(true);
    });

    it('starts after the topics exist and after every peer it names is healthy', () => {
      expect(service.depends_on?.kafka?.condition).toBe('service_healthy');
      expect(service.depends_on?.['kafka-init']?.condition).toBe('service_completed_successfully');
      for (const [variable, value] of Object.entries(environment)) {
        for (const { host, port } of addressesIn(value)) {
          expect(Object.keys(services), `${variable}=${value}: ${host} is no compose service`).toContain(host);
          expect(service.depends_on?.[host]?.condition, `${variable}: depends_on ${host}`).toBe('service_healthy');
          expect(listeningPorts(host), `${variable}=${value}: ${host} listens on`).toContain(port);
        }
      }
    });

    it('reaches PostgreSQL with the credentials the postgres service creates', () => {
      if (environment.DATABASE_URL === undefined) return;
      const url = new URL(environment.DATABASE_URL);
      const postgres = stringEnvironment(services.postgres);
      expect([decodeURIComponent(url.username), decodeURIComponent(url.password), url.pathname.slice(1)]).toEqual([
        postgres.POSTGRES_USER,
        postgres.POSTGRES_PASSWORD,
        postgres.POSTGRES_DB,
      ]);
    });
  });

  it('runs Kafka in KRaft mode without automatic topic creation, reachable from containers and this machine', () => {
    const environment = stringEnvironment(services.kafka);
    expect(services.kafka.image).toBe('apache/kafka:3.9.1');
    expect(environment.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(environment.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
    const listeners = kafkaListeners();
    const internal = listeners.find((listener) => listener.name === environment.KAFKA_INTER_BROKER_LISTENER_NAME);
    expect(internal?.host).toBe('kafka');
    expect(listeners.map((listener) => `${listener.host}:${listener.port}`)).toContain(environmentExample.get('KAFKA_BROKERS'));
    expect(services.kafka.ports).toContain(`127.0.0.1:${environmentExample.get('DUET_KAFKA_PORT')}:${environmentExample.get('DUET_KAFKA_PORT')}`);
    for (const duet of duetServices) expect(duet.environment.KAFKA_BROKERS, duet.name).toBe(`kafka:${internal!.port}`);
  });

  it('takes Kafka clients only over SASL_SSL, the admin the only super user, with the ACLs the local stack grants', () => {
    const environment = stringEnvironment(services.kafka);
    const protocols = Object.fromEntries(environment.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP.split(',').map((entry) => entry.split(':')));
    for (const listener of kafkaListeners()) expect(protocols[listener.name], listener.name).toBe('SASL_SSL');
    expect(protocols.CONTROLLER).toBe('SASL_PLAINTEXT'); // compose's network only, the admin alone (PLAIN)
    expect(services.kafka.ports?.map((mapping) => portMapping(mapping).target)).not.toContain(Number(environment.KAFKA_CONTROLLER_QUORUM_VOTERS.split(':')[1]));
    expect(environment.KAFKA_AUTHORIZER_CLASS_NAME).toBe('org.apache.kafka.metadata.authorizer.StandardAuthorizer');
    expect(environment.KAFKA_SUPER_USERS).toBe('User:admin');
    expect(environment.KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND).toBe('false');
    expect(environment.KAFKA_SSL_KEYSTORE_TYPE).toBe('PEM');
    expect(services.kafka.depends_on?.certificates?.condition).toBe('service_completed_successfully');
    // Every Duet service connects as its own principal, trusting the CA it mounts.
    for (const duet of duetServices) {
      expect(duet.environment.KAFKA_SSL_CA, duet.name).toBe('/etc/duet/tls/ca.pem');
      expect(duet.service.volumes, duet.name).toContain('./.duet/compose/tls:/etc/duet/tls:ro');
    }
    expect(Object.fromEntries(duetServices.map((duet) => [duet.name, duet.environment.KAFKA_SASL_USERNAME]))).toEqual({
      'hypervisor-core': 'hypervisor-core',
      'persona-runtime-personal': 'persona-runtime',
      'persona-runtime-business': 'persona-runtime',
      'policy-authority': 'policy-authority',
      telemetry: 'telemetry',
    });
    // grant-access.sh's table is the code's (apps/duet/src/stack/kafka-principals.ts).
    const script = readText('deploy/kafka/grant-access.sh');
    const table = /^ACLS='\n([\s\S]*?)^'/m.exec(script);
    expect(table, 'the ACLS table of grant-access.sh').not.toBeNull();
    const rows = table![1]
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => line.trim().split(/\s+/));
    const of = (username: string, access: string, resource: string) =>
      rows
        .filter((row) => row[0] === username && row[1] === access && row[2] === resource)
        .map((row) => row[3])
        .sort();
    const sorted = (values: readonly string[]) => [...values].sort();
    expect(
      [...new Set(rows.map((row) => row[0]))].map((username) => ({
        username,
        readTopics: of(username, 'read', 'topic'),
        writeTopics: of(username, 'write', 'topic'),
        groupPrefixes: of(username, 'read', 'group-prefix'),
      })),
    ).toEqual(
      kafkaGrants().map((grant) => ({
        username: grant.username,
        readTopics: sorted(grant.readTopics),
        writeTopics: sorted(grant.writeTopics),
        groupPrefixes: sorted(grant.groupPrefixes),
      })),
    );
    // Each principal's password variable reaches kafka-init.
    const init = stringEnvironment(services['kafka-init']);
    for (const duet of duetServices) expect(Object.values(init), `${duet.name}'s password`).toContain(duet.environment.KAFKA_SASL_PASSWORD);
  });

  it('runs PostgreSQL with TLS only and SCRAM passwords, the services verifying it against the CA', () => {
    const command = services.postgres.command ?? [];
    expect(command).toContain('ssl=on');
    expect(command).toContain('hba_file=/etc/duet/pg_hba.conf');
    expect(services.postgres.volumes).toContain('./deploy/postgres/pg_hba.conf:/etc/duet/pg_hba.conf:ro');
    const rules = readText('deploy/postgres/pg_hba.conf')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => line.split(/\s+/));
    expect(rules.every((rule) => rule.at(-1) === 'scram-sha-256')).toBe(true);
    expect(rules.filter((rule) => rule[0] !== 'local').every((rule) => rule[0] === 'hostssl')).toBe(true);
    for (const duet of duetServices.filter((each) => each.environment.DATABASE_URL !== undefined)) {
      const url = new URL(duet.environment.DATABASE_URL);
      expect([url.searchParams.get('sslmode'), url.searchParams.get('sslrootcert')], duet.name).toEqual(['verify-full', '/etc/duet/tls/ca.pem']);
    }
  });

  it('runs PostgreSQL 15, checked over TCP', () => {
    expect(services.postgres.image).toBe('postgres:15');
    expect(healthCommand(services.postgres)).toMatch(/pg_isready -h 127\.0\.0\.1/);
  });

  it('creates exactly the registry topics with their partitions and config in kafka-init, once Kafka is healthy', () => {
    const init = services['kafka-init'];
    expect(init.depends_on?.kafka?.condition).toBe('service_healthy');
    expect(init.volumes).toContain('./deploy/kafka/create-topics.sh:/opt/duet/create-topics.sh:ro');
    expect(init.entrypoint).toEqual(['/bin/bash', '-c', '/opt/duet/create-topics.sh && /opt/duet/grant-access.sh']);
    expect(stringEnvironment(init).KAFKA_BOOTSTRAP).toBe(`kafka:${listeningPorts('kafka')[0]}`);
    const script = readText('deploy/kafka/create-topics.sh');
    const table = /^TOPICS='\n([\s\S]*?)^'/m.exec(script);
    expect(table, 'the TOPICS table of create-topics.sh').not.toBeNull();
    const created = table![1]
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        const [name, partitions, config, ...rest] = line.trim().split(/\s+/);
        expect(rest, `${name}: name, partitions, config`).toEqual([]);
        expect(config, `${name}: config column (- for none)`).toBeDefined();
        const settings = config === '-' ? [] : config.split(',').map((pair) => pair.split('='));
        for (const setting of settings) expect(setting, `${name}: ${config}`).toHaveLength(2);
        return { name, partitions: Number(partitions), config: Object.fromEntries(settings) as Record<string, string> };
      });
    expect(created).toEqual(TOPICS_TO_CREATE.map((topic) => ({ name: topic.name, partitions: topic.partitions, config: { ...topic.config } })));
    // The script passes the config on creation and applies it to topics that already exist.
    expect(script).toMatch(/--config "\$\{pair\}"/);
    expect(script).toMatch(/kafka-configs\.sh/);
    expect(script).toMatch(/--alter --entity-type topics --entity-name "\$\{topic\}" --add-config "\$\{config\}"/);
  });

  it('makes the certificates once, with deploy/tls/make-certificates.sh, for every Duet service name, localhost and 127.0.0.1', () => {
    const certificates = services.certificates;
    expect(certificates.volumes).toContain('./deploy/tls/make-certificates.sh:/opt/duet/make-certificates.sh:ro');
    expect(certificates.restart).toBe('no');
    expect(certificateNames()).toEqual(expect.arrayContaining([...duetServices.map((duet) => duet.name), 'kafka', 'postgres']));
    const script = readText('deploy/tls/make-certificates.sh');
    expect(script).toContain("names='DNS:localhost,IP:127.0.0.1'");
    expect(script).toMatch(/chown "\$\{DUET_SERVICE_UID:-1000\}" server\.key/); // the image's node user reads the key
    // Kafka and PostgreSQL read their own copies of the same key, each owned by the server's user.
    expect(script).toMatch(/chown "\$\{KAFKA_UID\}" kafka-keystore\.pem/);
    expect(script).toMatch(/chown "\$\{POSTGRES_UID\}" postgres\.key/);
    expect(dockerfileUser()).toBe('node');
  });

  it('has Prometheus scrape /metrics over HTTPS, verified with the CA, on the HTTP port of every service that runs Duet code', () => {
    const prometheusTls = hostDirectory(services.prometheus, '/etc/prometheus/tls');
    expect(prometheusTls).toBe(hostDirectory(services.certificates, '/tls'));
    expect(services.prometheus.depends_on?.certificates?.condition).toBe('service_completed_successfully');
    const jobs = (parse(readText('deploy/prometheus/prometheus.yml')) as { scrape_configs: { job_name: string; scheme?: string; tls_config?: object }[] })
      .scrape_configs;
    for (const duet of duetServices) {
      const job = jobs.find((candidate) => candidate.job_name === duet.name);
      expect(job?.scheme, duet.name).toBe('https');
      expect(job?.tls_config, duet.name).toEqual({ ca_file: '/etc/prometheus/tls/ca.pem', server_name: duet.name });
    }
  });

  it('has Prometheus scrape /metrics on the HTTP port of every service that runs Duet code', () => {
    expect(services.prometheus.volumes).toContain('./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
    const prometheus = parse(readText('deploy/prometheus/prometheus.yml')) as {
      scrape_configs: {
        job_name: string;
        metrics_path?: string;
        static_configs?: { targets: string[] }[];
        dns_sd_configs?: { names: string[]; type?: string; port?: number }[];
      }[];
    };
    // A scaled service's name resolves to every replica: discovered by DNS (type A), each replica is
    // scraped; as a static target, only whichever replica the name resolved to would be.
    const targets = prometheus.scrape_configs.flatMap((job) => [
      ...(job.static_configs ?? []).flatMap((config) =>
        config.targets.map((target) => ({ job: job.job_name, path: job.metrics_path ?? '/metrics', target, discovery: 'static' })),
      ),
      ...(job.dns_sd_configs ?? []).flatMap((config) =>
        config.names.map((name) => ({
          job: job.job_name,
          path: job.metrics_path ?? '/metrics',
          target: `${name}:${String(config.port)}`,
          discovery: `dns ${config.type ?? 'SRV'}`,
        })),
      ),
    ]);
    const expected = duetServices.map((duet) => {
      const { config } = loadConfig(duet.folder, duet.environment);
      const discovery = SCALED_FOLDERS.includes(duet.folder) ? 'dns A' : 'static';
      return { job: duet.name, path: '/metrics', target: `${duet.name}:${String(config.HTTP_PORT)}`, discovery };
    });
    const prometheusPort = /--web\.listen-address=:(\d+)/.exec((services.prometheus.command ?? []).join(' '))?.[1];
    expect(targets).toEqual(expect.arrayContaining(expected));
    expect(targets.filter((target) => !expected.some((wanted) => wanted.target === target.target))).toEqual([
      { job: 'prometheus', path: '/metrics', target: `localhost:${prometheusPort}`, discovery: 'static' },
    ]);
  });

  describe('scaled services (shards from Kafka consumer groups)', () => {
    it('are hypervisor-core and both persona runtimes', () => {
      expect(scaledServices.map((duet) => duet.name).sort()).toEqual(['hypervisor-core', 'persona-runtime-business', 'persona-runtime-personal']);
    });

    describe.each(scaledServices)('$name', ({ name, service, environment }) => {
      it(`runs more than one replica and no more than the ${SHARD_PARTITIONS} shard partitions (deploy.replicas)`, () => {
        expect(service.scale, 'replicas go in deploy.replicas').toBeUndefined();
        const replicas = service.deploy?.replicas;
        expect(Number.isInteger(replicas), `${name}: deploy.replicas`).toBe(true);
        expect(replicas).toBeGreaterThan(1);
        expect(replicas).toBeLessThanOrEqual(SHARD_PARTITIONS);
      });

      it('has nothing that differs per replica: no container_name, hostname or fixed host port', () => {
        expect(service.container_name).toBeUndefined();
        expect(service.hostname).toBeUndefined();
        const fixed = (service.ports ?? []).filter((mapping) => portMapping(mapping).published !== undefined);
        expect(fixed, 'host ports; a second replica could not bind them').toEqual([]);
      });

      it('sets no shard list, instance name or peer address, and the shared CHECKPOINT_TICKS', () => {
        expect(Object.keys(environment).filter((variable) => PER_REPLICA_VARIABLES.includes(variable))).toEqual([]);
        expect(environment.CHECKPOINT_TICKS).toBe(environmentExample.get('CHECKPOINT_TICKS'));
      });

      it('is not addressed by another service (its name resolves to any one of its replicas)', () => {
        const addressing = duetServices.flatMap((other) =>
          Object.entries(other.environment)
            .filter(([, value]) => addressesIn(value).some((address) => address.host === name))
            .map(([variable, value]) => `${other.name}: ${variable}=${value}`),
        );
        expect(addressing).toEqual([]);
        const waiting = Object.entries(services)
          .filter(([, other]) => other.depends_on?.[name] !== undefined)
          .map(([other]) => other);
        expect(waiting, 'depends_on a scaled service').toEqual([]);
      });
    });

    it('leave the other Duet services single (policy-authority, telemetry)', () => {
      const multiple = duetServices
        .filter((duet) => !SCALED_FOLDERS.includes(duet.folder) && ((duet.service.deploy?.replicas ?? 1) !== 1 || duet.service.scale !== undefined))
        .map((duet) => duet.name);
      expect(multiple).toEqual([]);
    });

    it('docker-compose.yml mentions no shard list or hypervisor address', () => {
      expect(readText('docker-compose.yml')).not.toMatch(/\bSHARDS\b|HYPERVISOR_ADDRESS/);
    });
  });

  it("mounts Grafana's provisioning from deploy/grafana", () => {
    expect(services.grafana.volumes).toContain('./deploy/grafana/provisioning:/etc/grafana/provisioning:ro');
    expect(services.grafana.depends_on?.prometheus?.condition).toBe('service_healthy');
  });
});

const dockerfile = parseDockerfile(readText('Dockerfile'));

describe('Dockerfile', () => {
  it('exists and builds every stage on node:20-bookworm-slim', () => {
    const { preamble, stages } = dockerfile;
    expect(stages.length).toBeGreaterThan(1);
    const nodeImage = preamble.find((entry) => entry.instruction === 'ARG' && entry.argument.startsWith('NODE_IMAGE='))?.argument.split('=')[1];
    expect(nodeImage).toBe('node:20-bookworm-slim');
    const stageNames = new Set(stages.map((stage) => /\bAS\s+(\S+)/i.exec(stage[0].argument)?.[1]));
    for (const stage of stages) expect(['${NODE_IMAGE}', ...stageNames]).toContain(stage[0].argument.split(/\s+/)[0]);
  });

  it('takes the service as a build argument in every stage that uses it', () => {
    for (const stage of dockerfile.stages) {
      const uses = stage.some((entry) => entry.instruction !== 'ARG' && entry.argument.includes('${SERVICE}'));
      if (uses) expect(stage.some((entry) => entry.instruction === 'ARG' && entry.argument === 'SERVICE')).toBe(true);
    }
  });
});

// The one Dockerfile, read as `docker build --build-arg SERVICE=<folder>` would for each service.
describe.each(serviceFolders)('Dockerfile with SERVICE=%s', (folder) => {
  const substitute = (entry: DockerInstruction): DockerInstruction => ({ ...entry, argument: entry.argument.replaceAll('${SERVICE}', folder) });
  const stages = dockerfile.stages.map((stage) => stage.map(substitute));
  const packageName = (JSON.parse(readText(join('services', folder, 'package.json'))) as PackageManifest).name;
  const instructions = stages.flat();
  const runtime = stages.at(-1) ?? [];
  const assembly = instructions.filter((entry) => entry.instruction === 'RUN' && entry.argument.includes('/out/'));

  it('copies the lockfile and every workspace manifest, then installs with npm ci for its workspace', () => {
    const copies = instructions.filter((entry) => entry.instruction === 'COPY').map((entry) => entry.argument);
    expect(copies).toContain('package.json package-lock.json ./');
    for (const workspace of workspaceFolders) expect(copies).toContain(`${workspace}/package.json ${workspace}/`);
    const installs = instructions.filter((entry) => entry.instruction === 'RUN' && /\bnpm ci\b/.test(entry.argument));
    expect(installs.length).toBeGreaterThan(0);
    for (const install of installs) expect(install.argument).toContain(`--workspace "${packageName}"`);
  });

  it('ships the build of every workspace package the service needs, the protos, its migrations and dashboard', () => {
    const copied = runtime
      .filter((entry) => entry.instruction === 'COPY' && entry.argument.startsWith('--from=build'))
      .map((entry) => entry.argument.split(/\s+/)[2]);
    const packages = [...workspaceClosure(packageName)].filter((workspace) => workspace !== `services/${folder}`).map((workspace) => `${workspace}/dist`);
    expect(copied).toEqual(expect.arrayContaining([...packages, 'proto', './']));
    // The service's own files reach the runtime through /out, gathered by the build stage.
    expect(assembly.map((entry) => entry.argument).join(' ')).toContain(`cp -r "services/${folder}/dist" "/out/services/${folder}/"`);
    for (const asset of ['migrations', 'dashboard']) {
      if (existsSync(join(REPOSITORY_ROOT, 'services', folder, asset))) expect(assembly.map((entry) => entry.argument).join(' ')).toContain(asset);
    }
  });

  it("lets the root's packages find the dependencies npm nests under the service (NODE_PATH)", () => {
    // Without dev dependencies, a package the lockfile nests under services/<folder>/node_modules
    // (e.g. @grpc/proto-loader 0.8, while a dev dependency holds the root's 0.7) exists only there,
    // and @nestjs/microservices at the root would not find it.
    const lockfile = JSON.parse(readText('package-lock.json')) as { packages: Record<string, { dev?: boolean }> };
    const nested = Object.entries(lockfile.packages).filter(([path, entry]) => path.startsWith(`services/${folder}/node_modules/`) && entry.dev !== true);
    if (nested.length === 0) return;
    const environment = runtime.filter((entry) => entry.instruction === 'ENV').map((entry) => entry.argument);
    expect(environment.join(' ')).toContain(`NODE_PATH=/app/services/${folder}/node_modules`);
  });

  it('runs the built main file as a non-root user', () => {
    const user = runtime.filter((entry) => entry.instruction === 'USER').at(-1)?.argument;
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    const command = runtime.find((entry) => entry.instruction === 'CMD')?.argument;
    expect(JSON.parse(command ?? 'null')).toEqual(['node', 'main.js']);
    const main = `services/${folder}/dist/main.js`;
    expect(assembly.map((entry) => entry.argument).join(' ')).toContain(`require('./${main}')`);
    expect(existsSync(join(REPOSITORY_ROOT, main)), `${main} after npm run build`).toBe(true);
  });
});

describe('.dockerignore', () => {
  it('keeps dependencies, build output, local data, git and secrets out of the build context', () => {
    const patterns = readText('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    expect(patterns).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '.duet', '.git', '.env']));
  });
});
