// Device credentials are derived, not stored: base64url(HMAC-SHA256(secret, "<runId>:<handsetId>")).
// A restarted instance (or a second one with the same ENROLLMENT_SECRET) accepts the credentials
// the first handed out, and rotating the secret revokes every credential at once. Derived values
// are remembered per run, so a check-in batch of a shard costs map lookups, not an HMAC per row.
import { createHmac, timingSafeEqual } from 'node:crypto';

const REMEMBERED_RUNS = 8; // runs whose credentials stay in memory
const REMEMBERED_PER_RUN = 1_000_000; // credentials per run; beyond it they are derived each time

export class DeviceCredentials {
  private readonly key: Buffer;
  private readonly runs = new Map<string, Map<number, string>>();

  constructor(secret: string) {
    this.key = Buffer.from(secret, 'utf8');
  }

  derive(runId: string, handsetId: number): string {
    const remembered = this.runs.get(runId)?.get(handsetId);
    if (remembered !== undefined) return remembered;
    const credential = createHmac('sha256', this.key).update(`${runId}:${handsetId}`).digest('base64url');
    this.remember(runId, handsetId, credential);
    return credential;
  }

  /** Whether `credential` is exactly the one derived for the handset, compared in constant time. */
  matches(runId: string, handsetId: number, credential: string): boolean {
    const expected = Buffer.from(this.derive(runId, handsetId), 'utf8');
    const presented = Buffer.from(credential, 'utf8');
    return presented.length === expected.length && timingSafeEqual(presented, expected);
  }

  /**
   * Rows of a batch whose credential is not the one derived for the row's handset. A batch that
   * is all right (nearly every one) costs one constant-time comparison of the concatenated
   * credentials, unambiguous because each row's length is checked to be the derived one's first;
   * otherwise each row is compared on its own to name the wrong ones.
   */
  mismatchedRows(runId: string, handsetIds: readonly number[], credentials: readonly string[]): number[] {
    let expected = '';
    let presented = '';
    let lengthsMatch = true;
    const remembered = this.runs.get(runId);
    for (let row = 0; row < handsetIds.length; row++) {
      const derived = remembered?.get(handsetIds[row]) ?? this.derive(runId, handsetIds[row]);
      if (derived.length !== credentials[row].length) lengthsMatch = false;
      expected += derived;
      presented += credentials[row];
    }
    if (lengthsMatch) {
      const expectedBytes = Buffer.from(expected, 'utf8');
      const presentedBytes = Buffer.from(presented, 'utf8');
      if (presentedBytes.length === expectedBytes.length && timingSafeEqual(presentedBytes, expectedBytes)) return [];
    }
    const mismatched: number[] = [];
    for (let row = 0; row < handsetIds.length; row++) if (!this.matches(runId, handsetIds[row], credentials[row])) mismatched.push(row);
    return mismatched;
  }

  private remember(runId: string, handsetId: number, credential: string): void {
    let run = this.runs.get(runId);
    if (run === undefined) {
      if (this.runs.size >= REMEMBERED_RUNS) this.runs.delete(this.runs.keys().next().value!);
      this.runs.set(runId, (run = new Map()));
    }
    if (run.size < REMEMBERED_PER_RUN) run.set(handsetId, credential);
  }
}
