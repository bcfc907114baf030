import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { TOPICS, TOPICS_TO_CREATE } from '@duet/contracts';
import { loadHypervisorCoreConfig } from '@duet/hypervisor-core/dist/config';
import { kafkaGrants } from '@duet/cli/dist/stack/kafka-principals';
import { STACK_SERVICES } from '@duet/cli/dist/stack/stack-services';
import { loadConfig } from './service-configs';

// deploy/kubernetes/ is applied to clusters these tests never see: they read the manifests and hold
// them to the code (config schemas, the topic registry, .env.example). Package imports resolve to
// the built dist (`npm test` builds first).

const REPOSITORY_ROOT = join(__dirname, '..', '..');
const MANIFESTS = join(REPOSITORY_ROOT, 'deploy', 'kubernetes');
const NAMESPACE = 'duet';

/**
 * The service folders that run as several identical replicas, each taking its shards from its
 * role's Kafka consumer group: hypervisor-core, and persona-runtime once per persona.
 */
const SCALED_FOLDERS = ['hypervisor-core', 'persona-runtime'];

/** Variables that would make one replica differ from another, or name a peer replica: none may be set. */
const PER_REPLICA_VARIABLES = ['SHARDS', 'INSTANCE_ID', 'HYPERVISOR_ADDRESS'];

/**
 * The most members of one consumer group that own shards: the partitions of the shard-keyed topics
 * (shard s lives in partition s % partitions), from the registry. More pods than that sit idle.
 */
const SHARD_PARTITIONS = Math.min(...TOPICS.filter((topic) => topic.key === 'shard').map((topic) => topic.partitions));

/** The config loader of each service folder (services/<folder>/src/config.ts). */
interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

interface EnvironmentVariable {
  name: string;
  value?: string;
  valueFrom?: { configMapKeyRef?: { name: string; key: string }; secretKeyRef?: { name: string; key: string } };
}

interface Probe {
  httpGet?: { path: string; port: string | number; scheme?: string };
}

interface Container {
  name: string;
  image: string;
  env?: EnvironmentVariable[];
  envFrom?: unknown[];
  ports?: { name: string; containerPort: number }[];
  readinessProbe?: Probe;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    securityContext?: { runAsNonRoot?: boolean; runAsGroup?: number; fsGroup?: number };
    containers: Container[];
    volumes?: { name: string; secret?: { secretName: string; defaultMode?: number } }[];
  };
}

/** The text of every manifest, for checks of what no manifest may mention. */
const manifestTexts = () =>
  readdirSync(MANIFESTS)
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => ({ file, text: readFileSync(join(MANIFESTS, file), 'utf8') }));

const kustomization = parse(readFileSync(join(MANIFESTS, 'kustomization.yaml'), 'utf8')) as { resources: string[]; images?: { name: string }[] };
const manifestFiles = readdirSync(MANIFESTS)
  .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
  .sort();
const resources: Resource[] = manifestFiles.flatMap((file) =>
  parseAllDocuments(readFileSync(join(MANIFESTS, file), 'utf8'))
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`${file}: ${document.errors.map((error) => error.message).join('; ')}`);
      return document.toJS() as Resource | null;
    })
    .filter((resource): resource is Resource => resource !== null),
);

function ofKind(kind: string): Resource[] {
  return resources.filter((resource) => resource.kind === kind);
}

function single(kind: string): Resource {
  const found = ofKind(kind);
  expect(found, kind).toHaveLength(1);
  return found[0];
}

const environmentExample = new Set(
  readFileSync(join(REPOSITORY_ROOT, '.env.example'), 'utf8')
    .split('\n')
    .map((line) => /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(line.trim())?.[1])
    .filter((name): name is string => name !== undefined),
);

const configMap = ofKind('ConfigMap').find((resource) => resource.metadata.name === 'duet-config');
const secrets = new Map(ofKind('Secret').map((secret) => [secret.metadata.name, { ...secret.stringData, ...decoded(secret.data) }]));
const postgresCluster = ofKind('Cluster').find((resource) => resource.apiVersion.startsWith('postgresql.cnpg.io/'));
const kafka = ofKind('Kafka')[0];

function decoded(data: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
}

/**
 * The value a Deployment's variable gets: literal, from the ConfigMap or a Secret of these
 * manifests, or from the Secret CloudNativePG writes for the PostgreSQL cluster (`<cluster>-app`).
 */
function resolve(variable: EnvironmentVariable): string {
  if (variable.value !== undefined) return String(variable.value);
  const fromConfigMap = variable.valueFrom?.configMapKeyRef;
  if (fromConfigMap !== undefined) {
    expect(fromConfigMap.name, variable.name).toBe(configMap?.metadata.name);
    const value = configMap?.data?.[fromConfigMap.key];
    expect(value, `${variable.name}: ConfigMap key ${fromConfigMap.key}`).toBeDefined();
    return String(value);
  }
  const fromSecret = variable.valueFrom?.secretKeyRef;
  if (fromSecret !== undefined) {
    if (postgresCluster !== undefined && fromSecret.name === `${postgresCluster.metadata.name}-app`) {
      expect(fromSecret.key, `${variable.name}: keys of the CloudNativePG app Secret`).toBe('uri');
      const bootstrap = (postgresCluster.spec as { bootstrap: { initdb: { database: string; owner: string } } }).bootstrap.initdb;
      return `postgresql://${bootstrap.owner}:generated@${postgresCluster.metadata.name}-rw.${NAMESPACE}:5432/${bootstrap.database}`;
    }
    // Strimzi's user operator writes a Secret named like each KafkaUser, its SCRAM password under `password`.
    if (ofKind('KafkaUser').some((user) => user.metadata.name === fromSecret.name)) {
      expect(fromSecret.key, `${variable.name}: keys of a KafkaUser's Secret`).toBe('password');
      return `${fromSecret.name}-password-generated-by-strimzi`;
    }
    const value = secrets.get(fromSecret.name)?.[fromSecret.key];
    expect(value, `${variable.name}: Secret ${fromSecret.name} key ${fromSecret.key}`).toBeDefined();
    return String(value);
  }
  throw new Error(`${variable.name}: no value, ConfigMap or Secret reference`);
}

/** The cert-manager Certificate the services serve TLS with (the one not a CA). */
function servicesCertificate(): {
  secretName: string;
  dnsNames: string[];
  ipAddresses?: string[];
  usages?: string[];
  issuerRef: { name: string; kind: string };
} {
  const found = ofKind('Certificate').filter(
    (certificate) => certificate.apiVersion === 'cert-manager.io/v1' && (certificate.spec as { isCA?: boolean }).isCA !== true,
  );
  expect(found.map((certificate) => certificate.metadata.name)).toEqual(['duet-services-tls']);
  return found[0].spec as ReturnType<typeof servicesCertificate>;
}

const serviceFolders = readdirSync(join(REPOSITORY_ROOT, 'services'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(REPOSITORY_ROOT, 'services', entry.name, 'package.json')))
  .map((entry) => entry.name)
  .sort();

/** Each Deployment with its container, the service folder its image is built from, and its resolved environment. */
const deployments = ofKind('Deployment').map((deployment) => {
  const template = (deployment.spec as { template: PodTemplate }).template;
  const container = template.spec.containers[0];
  const folder = /^duet-([a-z-]+)(?::|$)/.exec(container.image)?.[1] ?? '';
  const environment = Object.fromEntries((container.env ?? []).map((variable) => [variable.name, resolve(variable)]));
  return { name: deployment.metadata.name, deployment, template, container, folder, environment };
});

describe('deploy/kubernetes', () => {
  it('lists every manifest in kustomization.yaml', () => {
    expect([...kustomization.resources].sort()).toEqual(manifestFiles);
  });

  it('puts everything in the duet Namespace', () => {
    expect(single('Namespace').metadata.name).toBe(NAMESPACE);
    const elsewhere = resources.filter((resource) => resource.kind !== 'Namespace' && resource.metadata.namespace !== NAMESPACE);
    expect(elsewhere.map((resource) => `${resource.kind}/${resource.metadata.name}`)).toEqual([]);
  });

  it('keys the ConfigMap by .env.example names', () => {
    expect(configMap).toBeDefined();
    expect(Object.keys(configMap!.data ?? {}).filter((key) => !environmentExample.has(key))).toEqual([]);
  });

  it('has placeholders for the secrets, under their .env.example names', () => {
    const placeholders = Object.keys(secrets.get('duet-secrets') ?? {});
    expect(placeholders.sort()).toEqual(['ADMIN_TOKEN', 'ENROLLMENT_SECRET', 'RUN_SECRETS_KEY', 'SERVICE_IDENTITY_KEY', 'VIEWER_TOKEN']);
    expect(placeholders.filter((key) => !environmentExample.has(key))).toEqual([]);
  });

  it('runs Kafka with Strimzi in KRaft node pools, without automatic topic creation, with the topic operator', () => {
    expect(kafka?.apiVersion).toMatch(/^kafka\.strimzi\.io\//);
    const pools = ofKind('KafkaNodePool').filter((pool) => pool.metadata.labels?.['strimzi.io/cluster'] === kafka.metadata.name);
    const roles = new Set(pools.flatMap((pool) => (pool.spec as { roles: string[] }).roles));
    expect([...roles].sort()).toEqual(['broker', 'controller']);
    const spec = kafka.spec as {
      kafka: { config: Record<string, unknown>; listeners: { port: number; tls: boolean }[] };
      entityOperator?: { topicOperator?: object; userOperator?: object };
    };
    expect(spec.kafka.config['auto.create.topics.enable']).toBe(false);
    expect(spec.entityOperator?.topicOperator).toBeDefined();
    expect(spec.entityOperator?.userOperator).toBeDefined();
  });

  it('listens only with TLS and SCRAM-SHA-512, authorizes with ACLs, and the services use that listener', () => {
    const spec = kafka.spec as {
      kafka: { listeners: { port: number; tls: boolean; authentication?: { type: string } }[]; authorization?: { type: string } };
    };
    expect(spec.kafka.listeners.length).toBeGreaterThan(0);
    for (const listener of spec.kafka.listeners) {
      expect(listener.tls, `listener on ${listener.port}`).toBe(true);
      expect(listener.authentication?.type, `listener on ${listener.port}`).toBe('scram-sha-512');
    }
    expect(spec.kafka.authorization?.type).toBe('simple');
    expect(configMap?.data?.KAFKA_BROKERS).toBe(`${kafka.metadata.name}-kafka-bootstrap:${spec.kafka.listeners[0].port}`);
  });

  it('has one KafkaUser per principal with exactly the ACLs the local stack grants', () => {
    type Acl = { resource: { type: string; name: string; patternType: string }; operations: string[] };
    const users = ofKind('KafkaUser').map((user) => {
      expect(user.metadata.labels?.['strimzi.io/cluster'], user.metadata.name).toBe(kafka.metadata.name);
      const spec = user.spec as { authentication: { type: string }; authorization: { type: string; acls: Acl[] } };
      expect(spec.authentication.type, user.metadata.name).toBe('scram-sha-512');
      expect(spec.authorization.type, user.metadata.name).toBe('simple');
      const names = (type: string, patternType: string, operation: string) =>
        spec.authorization.acls
          .filter((acl) => acl.resource.type === type && acl.resource.patternType === patternType && acl.operations.includes(operation))
          .map((acl) => acl.resource.name)
          .sort();
      return {
        username: user.metadata.name,
        readTopics: names('topic', 'literal', 'Read'),
        writeTopics: names('topic', 'literal', 'Write'),
        groupPrefixes: names('group', 'prefix', 'Read'),
      };
    });
    const sorted = (grant: { username: string; readTopics: readonly string[]; writeTopics: readonly string[]; groupPrefixes: readonly string[] }) => ({
      username: grant.username,
      readTopics: [...grant.readTopics].sort(),
      writeTopics: [...grant.writeTopics].sort(),
      groupPrefixes: [...grant.groupPrefixes].sort(),
    });
    expect(users).toEqual(kafkaGrants().map(sorted));
  });

  it('connects every Deployment to Kafka as its own KafkaUser, trusting the cluster CA it mounts', () => {
    const principals = Object.fromEntries(deployments.map((deployment) => [deployment.name, deployment.environment.KAFKA_SASL_USERNAME]));
    // The same principal per service as `duet stack up` gives (apps/duet/src/stack/stack-services.ts).
    expect(principals).toEqual(Object.fromEntries(STACK_SERVICES.map((service) => [service.name, service.kafkaPrincipal])));
    for (const { name, template, container, environment } of deployments) {
      const password = container.env?.find((variable) => variable.name === 'KAFKA_SASL_PASSWORD')?.valueFrom?.secretKeyRef;
      expect(password, name).toEqual({ name: environment.KAFKA_SASL_USERNAME, key: 'password' });
      for (const [variable, secretName] of [
        ['KAFKA_SSL_CA', `${kafka.metadata.name}-cluster-ca-cert`],
        ...(environment.DATABASE_URL === undefined ? [] : [['PGSSLROOTCERT', `${postgresCluster!.metadata.name}-ca`]]),
      ]) {
        const file = environment[variable];
        expect(file, `${name} ${variable}`).toBeDefined();
        const mount = (container as unknown as { volumeMounts: { name: string; mountPath: string }[] }).volumeMounts.find((each) =>
          file.startsWith(`${each.mountPath}/`),
        );
        expect(mount, `${name}: ${variable} ${file} is in no mounted volume`).toBeDefined();
        const volume = (template.spec as unknown as { volumes: { name: string; secret?: { secretName: string } }[] }).volumes.find(
          (each) => each.name === mount!.name,
        );
        expect(volume?.secret?.secretName, `${name}: the volume of ${variable}`).toBe(secretName);
      }
    }
  });

  it('declares exactly the registry topics, with their partitions and config, as KafkaTopic resources', () => {
    const topics = ofKind('KafkaTopic').map((topic) => {
      const spec = topic.spec as { topicName?: string; partitions: number; replicas: number; config?: Record<string, unknown> };
      expect(topic.metadata.labels?.['strimzi.io/cluster'], topic.metadata.name).toBe(kafka.metadata.name);
      // Kafka reads every topic setting as text; Strimzi passes numbers and strings alike.
      const config = Object.fromEntries(Object.entries(spec.config ?? {}).map(([name, value]) => [name, String(value)]));
      return { name: spec.topicName ?? topic.metadata.name, partitions: spec.partitions, config };
    });
    expect(topics).toEqual(TOPICS_TO_CREATE.map((topic) => ({ name: topic.name, partitions: topic.partitions, config: { ...topic.config } })));
  });

  it('lets no autoscaler add more pods than the shard-keyed KafkaTopics have partitions', () => {
    const shardKeyed = new Set<string>(TOPICS.filter((topic) => topic.key === 'shard').map((topic) => topic.name));
    const partitions = ofKind('KafkaTopic')
      .map((topic) => topic.spec as { topicName?: string; partitions: number })
      .filter((spec) => shardKeyed.has(spec.topicName ?? ''))
      .map((spec) => spec.partitions);
    expect(partitions).toHaveLength(shardKeyed.size);
    for (const autoscaler of ofKind('HorizontalPodAutoscaler')) {
      expect((autoscaler.spec as { maxReplicas: number }).maxReplicas, autoscaler.metadata.name).toBeLessThanOrEqual(Math.min(...partitions));
    }
  });

  it('mentions no shard list or hypervisor address in any manifest (shards come from the consumer groups)', () => {
    const mentioning = manifestTexts()
      .filter(({ text }) => /\bSHARDS\b|HYPERVISOR_ADDRESS/.test(text))
      .map(({ file }) => file);
    expect(mentioning).toEqual([]);
  });

  it('gives CHECKPOINT_TICKS in the ConfigMap a value the scaled roles accept', () => {
    const checkpointTicks = configMap?.data?.CHECKPOINT_TICKS;
    expect(checkpointTicks).toBeDefined();
    expect(loadHypervisorCoreConfig({ KAFKA_BROKERS: configMap?.data?.KAFKA_BROKERS, CHECKPOINT_TICKS: checkpointTicks }).CHECKPOINT_TICKS).toBe(
      Number(checkpointTicks),
    );
  });

  it('issues the services’ certificate from a CA of its own with cert-manager', () => {
    const issuers = new Map(
      ofKind('Issuer')
        .filter((issuer) => issuer.apiVersion === 'cert-manager.io/v1')
        .map((issuer) => [issuer.metadata.name, issuer.spec as { selfSigned?: object; ca?: { secretName: string } }]),
    );
    const certificates = new Map(
      ofKind('Certificate').map((certificate) => [
        certificate.metadata.name,
        certificate.spec as { isCA?: boolean; secretName: string; issuerRef: { name: string; kind: string } },
      ]),
    );
    const services = servicesCertificate();
    const caIssuer = issuers.get(services.issuerRef.name);
    expect(services.issuerRef.kind).toBe('Issuer');
    expect(caIssuer?.ca?.secretName, 'the services certificate comes from a CA issuer').toBeDefined();
    const ca = [...certificates.values()].find((certificate) => certificate.secretName === caIssuer!.ca!.secretName);
    expect(ca?.isCA).toBe(true);
    expect(issuers.get(ca!.issuerRef.name)?.selfSigned).toEqual({});
    expect(services.usages).toEqual(expect.arrayContaining(['server auth', 'client auth']));
    expect(services.ipAddresses).toContain('127.0.0.1');
  });

  it('gives the ConfigMap https:// URLs (every port serves TLS only)', () => {
    expect(configMap?.data?.POLICY_AUTHORITY_URL).toMatch(/^https:\/\//);
    expect(configMap?.data?.TELEMETRY_URL).toMatch(/^https:\/\//);
  });

  it('runs PostgreSQL 15 with CloudNativePG', () => {
    expect(postgresCluster).toBeDefined();
    expect(String((postgresCluster!.spec as { imageName: string }).imageName)).toMatch(/postgresql:15\b/);
  });

  it('refuses PostgreSQL connections without TLS and asks the others for a SCRAM password', () => {
    const rules = (postgresCluster!.spec as { postgresql?: { pg_hba?: string[] } }).postgresql?.pg_hba ?? [];
    expect(rules.filter((rule) => rule.startsWith('hostnossl')).every((rule) => rule.endsWith(' reject'))).toBe(true);
    expect(rules.some((rule) => /^hostnossl all all 0\.0\.0\.0\/0 reject$/.test(rule))).toBe(true);
    expect(rules.filter((rule) => !rule.startsWith('hostnossl'))).toEqual(['hostssl all all all scram-sha-256']);
  });

  it('deploys every service folder, persona-runtime once per persona', () => {
    expect([...new Set(deployments.map((deployment) => deployment.folder))].sort()).toEqual(serviceFolders);
    const personas = deployments
      .filter((deployment) => deployment.folder === 'persona-runtime')
      .map((deployment) => [deployment.name, deployment.environment.PERSONA]);
    expect(personas.sort()).toEqual([
      ['persona-runtime-business', 'business'],
      ['persona-runtime-personal', 'personal'],
    ]);
  });

  it('names every image in kustomization.yaml, so one edit points them at a registry', () => {
    const images = new Set(deployments.map((deployment) => deployment.container.image.split(':')[0]));
    expect(new Set((kustomization.images ?? []).map((image) => image.name))).toEqual(images);
  });

  describe.each(deployments)('Deployment $name', ({ name, template, container, folder, environment }) => {
    it("gives every variable its config requires, and no name the config doesn't read", () => {
      expect(container.envFrom, 'explicit env only, so every name is checked').toBeUndefined();
      const { read } = loadConfig(folder, environment);
      expect(Object.keys(environment).filter((variable) => !read.has(variable))).toEqual([]);
    });

    it('listens on every interface, on the container ports it declares', () => {
      const { config } = loadConfig(folder, environment);
      for (const host of ['HOST', 'GRPC_HOST', 'HTTP_HOST']) if (host in config) expect(config[host], host).toBe('0.0.0.0');
      const declared = Object.fromEntries((container.ports ?? []).map((port) => [port.name, port.containerPort]));
      expect(declared.http).toBe(config.HTTP_PORT);
      expect(declared.grpc).toBe(config.GRPC_PORT);
    });

    it('is probed on /readyz (readiness) and /healthz (liveness) of its HTTP port, over HTTPS', () => {
      expect(container.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http', scheme: 'HTTPS' });
      expect(container.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http', scheme: 'HTTPS' });
    });

    it("serves TLS only, with cert-manager's certificate for its Service mounted read-only from its Secret", () => {
      const { secretName, dnsNames } = servicesCertificate();
      const volume = (template.spec.volumes ?? []).find((candidate) => candidate.secret?.secretName === secretName);
      expect(volume, `a volume of Secret ${secretName}`).toBeDefined();
      const mount = (container.volumeMounts ?? []).find((candidate) => candidate.name === volume!.name);
      expect(mount?.readOnly).toBe(true);
      // cert-manager's keys: tls.crt, tls.key and (CA issuer) ca.crt.
      expect([environment.DUET_TLS_CERT, environment.DUET_TLS_KEY, environment.DUET_TLS_CA]).toEqual(
        ['tls.crt', 'tls.key', 'ca.crt'].map((file) => `${mount!.mountPath}/${file}`),
      );
      // Readable by the pod's group only: the key is not world-readable.
      expect(volume!.secret!.defaultMode).toBe(0o440);
      expect(template.spec.securityContext?.fsGroup).toBe(template.spec.securityContext?.runAsGroup);
      for (const host of [name, `${name}.${NAMESPACE}.svc`, `${name}.${NAMESPACE}.svc.cluster.local`]) expect(dnsNames).toContain(host);
      expect(template.metadata.annotations?.['prometheus.io/scheme']).toBe('https');
    });

    it('has resource requests and limits and runs as non-root', () => {
      expect(container.resources?.requests?.memory).toBeDefined();
      expect(container.resources?.requests?.cpu).toBeDefined();
      expect(container.resources?.limits?.memory).toBeDefined();
      expect(container.resources?.limits?.cpu).toBeDefined();
      expect(template.spec.securityContext?.runAsNonRoot).toBe(true);
    });

    it('is exposed by a Service on its named ports and scraped on its HTTP port', () => {
      const service = ofKind('Service').find((candidate) => candidate.metadata.name === name);
      const spec = service?.spec as { selector: Record<string, string>; ports: { port: number; targetPort: string }[] } | undefined;
      expect(spec, `Service ${name}`).toBeDefined();
      for (const [label, value] of Object.entries(spec!.selector)) expect(template.metadata.labels[label], label).toBe(value);
      const declared = Object.fromEntries((container.ports ?? []).map((port) => [port.name, port.containerPort]));
      expect(Object.fromEntries(spec!.ports.map((port) => [port.targetPort, port.port]))).toEqual(declared);
      expect(template.metadata.annotations?.['prometheus.io/port']).toBe(String(declared.http));
      expect(template.metadata.annotations?.['prometheus.io/path']).toBe('/metrics');
    });

    it('reaches each peer it names at a Service port', () => {
      for (const variable of ['POLICY_AUTHORITY_ADDRESS']) {
        const address = environment[variable];
        if (address === undefined) continue;
        const [host, port] = address.split(':');
        const service = ofKind('Service').find((candidate) => candidate.metadata.name === host);
        expect(service, `${variable}=${address}`).toBeDefined();
        expect(
          (service!.spec as { ports: { port: number }[] }).ports.map((servicePort) => servicePort.port),
          `${variable}=${address}`,
        ).toContain(Number(port));
        const peer = deployments.find((candidate) => candidate.name === host);
        expect(SCALED_FOLDERS, `${variable}=${address}: a scaled role's Service reaches any one of its pods`).not.toContain(peer?.folder);
      }
    });
  });

  describe('scaled roles (shards from Kafka consumer groups)', () => {
    const scaled = deployments.filter((deployment) => SCALED_FOLDERS.includes(deployment.folder));
    const podDisruptionBudgets = ofKind('PodDisruptionBudget');
    const autoscalers = ofKind('HorizontalPodAutoscaler');

    /** Whether a label selector selects pods with these labels. */
    function selects(selector: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] } | undefined, labels: Record<string, string>): boolean {
      expect(selector?.matchExpressions, 'matchLabels only').toBeUndefined();
      const matchLabels = Object.entries(selector?.matchLabels ?? {});
      return matchLabels.length > 0 && matchLabels.every(([label, value]) => labels[label] === value);
    }

    it('are hypervisor-core and both persona runtimes', () => {
      expect(scaled.map((deployment) => deployment.name).sort()).toEqual(['hypervisor-core', 'persona-runtime-business', 'persona-runtime-personal']);
    });

    describe.each(scaled)('Deployment $name', ({ name, deployment, template, environment }) => {
      const spec = deployment.spec as { replicas?: number; strategy?: { type?: string } };

      it(`runs more than one replica and no more than the ${SHARD_PARTITIONS} shard partitions`, () => {
        expect(spec.replicas).toBeGreaterThan(1);
        expect(spec.replicas).toBeLessThanOrEqual(SHARD_PARTITIONS);
        expect(spec.strategy?.type ?? 'RollingUpdate', 'pods replace each other one by one').toBe('RollingUpdate');
      });

      it('sets no shard list, instance name or peer address, and takes CHECKPOINT_TICKS from the ConfigMap', () => {
        expect(Object.keys(environment).filter((variable) => PER_REPLICA_VARIABLES.includes(variable))).toEqual([]);
        expect(environment.CHECKPOINT_TICKS).toBe(configMap?.data?.CHECKPOINT_TICKS);
      });

      it('has one PodDisruptionBudget that selects its pods, no other pods, and lets one go', () => {
        const budgets = podDisruptionBudgets.filter((budget) =>
          selects((budget.spec as { selector?: { matchLabels?: Record<string, string> } }).selector, template.metadata.labels),
        );
        expect(budgets.map((budget) => budget.metadata.name)).toHaveLength(1);
        const budget = budgets[0];
        expect(budget.apiVersion).toBe('policy/v1');
        const budgetSpec = budget.spec as {
          selector: { matchLabels?: Record<string, string> };
          maxUnavailable?: number | string;
          minAvailable?: number | string;
        };
        const others = deployments.filter((other) => other.name !== name && selects(budgetSpec.selector, other.template.metadata.labels));
        expect(others.map((other) => other.name)).toEqual([]);
        // A budget that allows no disruption blocks every node drain.
        if (budgetSpec.maxUnavailable !== undefined) {
          expect(typeof budgetSpec.maxUnavailable, 'maxUnavailable as a number of pods').toBe('number');
          expect(budgetSpec.maxUnavailable).toBeGreaterThanOrEqual(1);
        } else {
          expect(typeof budgetSpec.minAvailable, 'maxUnavailable or minAvailable as a number of pods').toBe('number');
          expect(budgetSpec.minAvailable).toBeLessThan(spec.replicas!);
        }
      });

      it(`has one HorizontalPodAutoscaler (autoscaling/v2, CPU) targeting it, from more than one pod to at most ${SHARD_PARTITIONS}`, () => {
        const targeting = autoscalers.filter(
          (autoscaler) => (autoscaler.spec as { scaleTargetRef?: { kind?: string; name?: string } }).scaleTargetRef?.name === name,
        );
        expect(targeting).toHaveLength(1);
        const autoscaler = targeting[0];
        expect(autoscaler.apiVersion).toBe('autoscaling/v2');
        const autoscalerSpec = autoscaler.spec as {
          scaleTargetRef: { apiVersion: string; kind: string; name: string };
          minReplicas?: number;
          maxReplicas: number;
          metrics?: { type: string; resource?: { name: string; target: { type: string; averageUtilization?: number } } }[];
        };
        expect(autoscalerSpec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
        expect(autoscalerSpec.minReplicas ?? 1).toBeGreaterThan(1);
        expect(autoscalerSpec.minReplicas ?? 1).toBeLessThanOrEqual(spec.replicas!);
        expect(autoscalerSpec.maxReplicas).toBeGreaterThanOrEqual(spec.replicas!);
        expect(autoscalerSpec.maxReplicas, 'more pods than shard partitions own nothing').toBeLessThanOrEqual(SHARD_PARTITIONS);
        const cpu = (autoscalerSpec.metrics ?? []).find((metric) => metric.type === 'Resource' && metric.resource?.name === 'cpu');
        expect(cpu?.resource?.target.type).toBe('Utilization');
        expect(cpu?.resource?.target.averageUtilization).toBeGreaterThan(0);
      });
    });

    it('leave policy-authority and telemetry single, without an autoscaler', () => {
      const single = deployments.filter((deployment) => !SCALED_FOLDERS.includes(deployment.folder));
      expect(single.map((deployment) => deployment.name).sort()).toEqual(['policy-authority', 'telemetry']);
      for (const deployment of single) expect((deployment.deployment.spec as { replicas?: number }).replicas ?? 1, deployment.name).toBe(1);
      const scaledNames = scaled.map((deployment) => deployment.name);
      const strays = autoscalers
        .map((autoscaler) => (autoscaler.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name)
        .filter((target) => !scaledNames.includes(target));
      expect(strays).toEqual([]);
    });

    it('have no PodDisruptionBudget that selects no Deployment', () => {
      const unused = podDisruptionBudgets
        .filter(
          (budget) =>
            !deployments.some((deployment) =>
              selects((budget.spec as { selector?: { matchLabels?: Record<string, string> } }).selector, deployment.template.metadata.labels),
            ),
        )
        .map((budget) => budget.metadata.name);
      expect(unused).toEqual([]);
    });
  });
});
