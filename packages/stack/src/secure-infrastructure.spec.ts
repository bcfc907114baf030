// The local stack's Kafka and PostgreSQL secured, tried as an outsider would: a real broker with
// SASL_SSL (SCRAM-SHA-512) and ACLs, and a real PostgreSQL with TLS and passwords, both with the
// certificates of ensureStackCertificates. Without credentials (kafkajs, kcat, psql, pg) nothing
// answers; a service's principal is refused a topic its ACLs do not name; with the password and
// TLS verified against the stack's CA a client gets in.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureStackCertificates, type StackCertificates } from './certificates';
import { createTopics, grantKafkaAcls, kafkaAnswers, kafkaClientSettings, startKafka, type KafkaCredentials, type KafkaHandle } from './kafka';
import { postgresUrl, startPostgres, type PostgresHandle } from './postgres';
import { ensureDebianPackage, findRepoRoot, freePorts, quietLog, run } from './process';

const SETUP_TIMEOUT_MS = 300_000;
const TOPIC = 'duet.secure.spec';
const OTHER_TOPIC = 'duet.secure.other';

const password = () => randomBytes(24).toString('base64url');

describe('the secured Kafka and PostgreSQL of the local stack', () => {
  const repoRoot = findRepoRoot();
  const dir = join(repoRoot, '.duet', 'test-stack', `secure-${process.pid}-${Date.now()}`);
  const admin: KafkaCredentials = { username: 'admin', password: password() };
  const writer: KafkaCredentials = { username: 'writer', password: password() };
  const postgresPasswords = { adminPassword: password(), password: password() };
  let certificates: StackCertificates;
  let ports: number[];
  let kafka: KafkaHandle | undefined;
  let postgres: PostgresHandle | undefined;

  const client = (credentials: KafkaCredentials | undefined, tls = true) =>
    new Kafka({
      clientId: 'secure-spec',
      brokers: kafka!.brokers,
      connectionTimeout: 3_000,
      requestTimeout: 5_000,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
      ...(credentials
        ? kafkaClientSettings({ caFile: certificates.caFile, credentials })
        : tls
          ? { ssl: { ca: [readFileSync(certificates.caFile, 'utf8')] } }
          : {}),
    });

  beforeAll(async () => {
    certificates = await ensureStackCertificates(join(dir, 'tls'), { log: quietLog });
    ports = await freePorts(3);
    const tls = { certFile: certificates.certFile, keyFile: certificates.keyFile, caFile: certificates.caFile };
    [kafka, postgres] = await Promise.all([
      startKafka({ dataDir: join(dir, 'kafka'), port: ports[0], controllerPort: ports[1], security: { tls, admin, users: [writer] }, log: quietLog }),
      startPostgres({ dataDir: join(dir, 'postgres'), port: ports[2], security: { tls, ...postgresPasswords }, log: quietLog }),
    ]);
    const security = { caFile: certificates.caFile, credentials: admin };
    await createTopics(
      kafka.brokers,
      [TOPIC, OTHER_TOPIC].map((topic) => ({ topic, partitions: 1 })),
      { security },
    );
    await grantKafkaAcls(kafka.brokers, [{ username: writer.username, readTopics: [TOPIC], writeTopics: [TOPIC], groupPrefixes: ['writer-'] }], { security });
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await Promise.all([kafka?.stop(), postgres?.stop()]);
    if (postgres && postgres.dataDir !== join(dir, 'postgres')) rmSync(postgres.dataDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('Kafka: a client without credentials gets no metadata, neither over TLS nor in plaintext', async () => {
    for (const tls of [true, false]) {
      const outsider = client(undefined, tls).admin();
      await expect(
        (async () => {
          await outsider.connect();
          return outsider.fetchTopicMetadata({ topics: [TOPIC] });
        })(),
      ).rejects.toThrow();
      await outsider.disconnect().catch(() => undefined);
    }
    expect(await kafkaAnswers(kafka!.brokers, { timeoutMs: 3_000 })).toBe(false);
    expect(await kafkaAnswers(kafka!.brokers, { timeoutMs: 10_000, security: { caFile: certificates.caFile, credentials: admin } })).toBe(true);
  }, 60_000);

  it('Kafka: a wrong password is refused', async () => {
    const intruder = client({ username: writer.username, password: password() }).admin();
    await expect(intruder.connect()).rejects.toThrow(/SASL|authentication/i);
    await intruder.disconnect().catch(() => undefined);
  }, 30_000);

  it('Kafka: kcat without credentials lists no broker metadata (an outsider with a third-party client)', async (context) => {
    let kcat: string;
    try {
      kcat = (
        await ensureDebianPackage(
          { label: 'kcat', packageName: 'kcat', find: () => findOnPath('kcat'), appears: '/usr/bin/kcat', missingHint: 'apt-get install -y kcat' },
          { log: quietLog, timeoutMs: 300_000 },
        )
      ).path;
    } catch (error) {
      console.log(`skipped: kcat could not be installed with apt (${(error as Error).message.split('\n')[0]})`);
      context.skip();
      return;
    }
    for (const protocol of ['plaintext', 'ssl']) {
      const args = ['-b', kafka!.brokers[0], '-L', '-m', '5', '-X', `security.protocol=${protocol}`];
      if (protocol === 'ssl') args.push('-X', `ssl.ca.location=${certificates.caFile}`);
      const outcome = await run(kcat, args, { timeoutMs: 30_000 });
      expect(outcome.code, `kcat ${args.join(' ')}:\n${outcome.stdout}${outcome.stderr}`).not.toBe(0);
      expect(outcome.stdout).not.toContain(TOPIC);
    }
    // The same tool with the SCRAM user gets in: what it lacked was the credentials.
    const allowed = await run(
      kcat,
      [
        '-b',
        kafka!.brokers[0],
        '-L',
        '-t',
        TOPIC,
        '-m',
        '10',
        '-X',
        'security.protocol=sasl_ssl',
        '-X',
        'sasl.mechanisms=SCRAM-SHA-512',
        '-X',
        `sasl.username=${writer.username}`,
        '-X',
        `sasl.password=${writer.password}`,
        '-X',
        `ssl.ca.location=${certificates.caFile}`,
      ],
      { timeoutMs: 30_000 },
    );
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toContain(TOPIC);
  }, 360_000);

  it("Kafka: a principal works on its ACL's topic and is refused another", async () => {
    const kafkaClient = client(writer);
    const producer = kafkaClient.producer();
    await producer.connect();
    try {
      await producer.send({ topic: TOPIC, acks: -1, messages: [{ key: 'k', value: 'allowed' }] });
      await expect(producer.send({ topic: OTHER_TOPIC, acks: -1, messages: [{ key: 'k', value: 'refused' }] })).rejects.toThrow(/authoriz/i);
    } finally {
      await producer.disconnect();
    }
    const reader = kafkaClient.admin();
    await reader.connect();
    try {
      await expect(reader.fetchTopicMetadata({ topics: [OTHER_TOPIC] })).rejects.toThrow(/authoriz/i);
    } finally {
      await reader.disconnect();
    }
  }, 60_000);

  it('PostgreSQL: without TLS or without the password refused, with both (verified against the CA) accepted', async () => {
    const port = ports[2];
    const attempt = async (connectionString: string) => {
      const pg = new Client({ connectionString, connectionTimeoutMillis: 10_000 });
      try {
        await pg.connect();
        return (await pg.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0]?.ssl;
      } finally {
        await pg.end().catch(() => undefined);
      }
    };
    // No TLS, right password: no pg_hba line accepts it.
    await expect(attempt(`postgres://duet:${postgresPasswords.password}@127.0.0.1:${port}/duet?sslmode=disable`)).rejects.toThrow(/pg_hba|no encryption/i);
    // TLS, no password / a wrong one.
    const secured = postgresUrl(port, 'duet', 'duet', { password: password(), caFile: certificates.caFile });
    await expect(attempt(secured)).rejects.toThrow(/password authentication failed/i);
    await expect(attempt(`postgres://duet@127.0.0.1:${port}/duet?sslmode=verify-full&sslrootcert=${certificates.caFile}`)).rejects.toThrow(/password/i);
    // The superuser without its password neither.
    await expect(attempt(`postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`)).rejects.toThrow();
    // The handle's URL: password, TLS verified against the stack's CA.
    expect(postgres!.url).toContain('sslmode=verify-full');
    expect(await attempt(postgres!.url)).toBe(true);
  }, 60_000);

  it('PostgreSQL: psql, an outsider, is refused without TLS and gets in with the password over TLS', async () => {
    const port = String(ports[2]);
    const psql = (connection: string, environment: Record<string, string>) =>
      run('psql', [connection, '-w', '-XAtc', 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'], {
        timeoutMs: 30_000,
        env: { ...process.env, PGCONNECT_TIMEOUT: '10', ...environment },
      });
    const plaintext = await psql(`host=127.0.0.1 port=${port} dbname=duet user=duet sslmode=disable`, { PGPASSWORD: postgresPasswords.password });
    expect(plaintext.code).not.toBe(0);
    expect(plaintext.stderr).toMatch(/pg_hba|no encryption/i);
    const noPassword = await psql(`host=127.0.0.1 port=${port} dbname=duet user=duet sslmode=verify-full sslrootcert=${certificates.caFile}`, {
      PGPASSWORD: '',
    });
    expect(noPassword.code).not.toBe(0);
    const accepted = await psql(`host=127.0.0.1 port=${port} dbname=duet user=duet sslmode=verify-full sslrootcert=${certificates.caFile}`, {
      PGPASSWORD: postgresPasswords.password,
    });
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(accepted.stdout.trim()).toBe('t');
  }, 60_000);
});

function findOnPath(program: string): string | undefined {
  return (process.env.PATH ?? '')
    .split(':')
    .map((dir) => join(dir, program))
    .find((candidate) => existsSync(candidate));
}
