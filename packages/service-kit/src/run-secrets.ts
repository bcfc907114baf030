// A run's secrets on the event bus: the enrollment token travels in RunLifecycle STARTED on
// duet.run-lifecycle.v1, which every service (and anyone who can read the topic) sees. It is sealed
// with AES-256-GCM under the stack's run-secrets key, bound to its run id (the authenticated data),
// so only holders of the key (the duet command, the persona runtimes) read it, and a sealed token
// copied into another run's message does not open.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const PREFIX = 'sealed.v1.';
const KEY_BYTES = 32;
const IV_BYTES = 12; // GCM's standard nonce
const TAG_BYTES = 16;

export class RunSecrets {
  private readonly key: Buffer;

  /** `key`: 32 bytes, base64url (what `duet stack up` writes as RUN_SECRETS_KEY). */
  constructor(key: string) {
    this.key = Buffer.from(key, 'base64url');
    if (this.key.length !== KEY_BYTES) throw new Error(`the run-secrets key must be ${KEY_BYTES} bytes in base64url (got ${this.key.length})`);
  }

  /** A fresh key, for a process that is both sealer and opener (the embedded mode). */
  static generateKey(): string {
    return randomBytes(KEY_BYTES).toString('base64url');
  }

  seal(runId: string, secret: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(Buffer.from(runId, 'utf8'));
    const sealed = Buffer.concat([iv, cipher.update(secret, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${PREFIX}${sealed.toString('base64url')}`;
  }

  /** The secret sealed for `runId`; throws when it was sealed under another key or for another run. */
  open(runId: string, sealed: string): string {
    if (!isSealed(sealed)) throw new Error('not a sealed run secret');
    const bytes = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
    if (bytes.length < IV_BYTES + TAG_BYTES) throw new Error('a sealed run secret cut short');
    const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, IV_BYTES))
      .setAAD(Buffer.from(runId, 'utf8'))
      .setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  }
}

export function isSealed(value: string): boolean {
  return value.startsWith(PREFIX);
}
