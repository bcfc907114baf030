import { Injectable } from '@nestjs/common';
import { policy } from '@duet/contracts';
import { quoted } from '@duet/service-kit';
import { createHash, randomBytes } from 'node:crypto';
import { checkName, checkRunId } from '../domain/columnar-batch';
import { expiresTickFor, tokenRefusal, type EnrollmentTokenGrant } from '../domain/enrollment-token';
import { IssueList, RequestError } from '../domain/request-error';
import { EnrollmentTokenRepository } from '../repositories/enrollment-token.repository';

const TOKEN_BYTES = 24; // 192 random bits, 32 base64url characters
const MAX_CACHED_TOKENS = 1024; // tokens never change once created, so lookups are cached
const MAX_CACHED_RUNS = 1024;

/** Enrollment tokens: created by operators, presented by agents at Enroll and EnrollBatch. */
@Injectable()
export class EnrollmentTokenService {
  private readonly known = new Map<string, EnrollmentTokenGrant>();
  // Per run, the last tick of its tokens as last read; a later token only moves it forward, so
  // only a tick beyond it is worth reading again.
  private readonly lastTicks = new Map<string, number>();

  constructor(private readonly tokens: EnrollmentTokenRepository) {}

  async createEnrollmentToken(request: policy.CreateEnrollmentTokenRequest): Promise<policy.CreateEnrollmentTokenResponse> {
    const issues = new IssueList();
    checkRunId(issues, request.runId);
    checkName(issues, 'group', request.group, false);
    issues.throwIfAny('invalid-argument', 'CreateEnrollmentTokenRequest');
    const value = randomBytes(TOKEN_BYTES).toString('base64url');
    const grant: EnrollmentTokenGrant = {
      runId: request.runId,
      group: request.group,
      tick: request.tick,
      expiresTick: expiresTickFor(request.tick, request.durationTicks),
    };
    await this.tokens.insert(sha256(value), grant);
    return { enrollmentToken: { value, group: grant.group, expiresTick: grant.expiresTick, runId: grant.runId, tick: grant.tick } };
  }

  /** The token's grant if it enrolls handsets of the run at `tick`; UNAUTHENTICATED naming `path` otherwise. */
  async accept(runId: string, value: string, tick: number, subject: string, path = 'enrollment_token'): Promise<EnrollmentTokenGrant> {
    const grant = value === '' ? undefined : await this.lookUp(value);
    const refusal = tokenRefusal(grant, runId, tick);
    if (refusal !== undefined) throw new RequestError('unauthenticated', subject, [{ path, ...refusal }]);
    return grant!;
  }

  /**
   * Refuses a request about a run policy-authority does not know (no enrollment token was made for
   * it: NOT_FOUND naming run_id) or about a tick after the run's last (INVALID_ARGUMENT naming
   * `tickPath`): a run lasts as long as the tokens made for it, which the duet command makes for
   * the run's whole length. Checked before anything is stored.
   */
  async checkRunTick(runId: string, tick: number, subject: string, tickPath = 'tick'): Promise<void> {
    let lastTick = this.lastTicks.get(runId);
    if (lastTick === undefined || tick > lastTick) {
      lastTick = await this.tokens.lastTickOf(runId);
      if (lastTick === undefined) {
        throw new RequestError('not-found', subject, [
          { path: 'run_id', rule: 'exists', message: `no run ${quoted(runId)} is known: create an enrollment token for it first` },
        ]);
      }
      if (!this.lastTicks.has(runId) && this.lastTicks.size >= MAX_CACHED_RUNS) this.lastTicks.delete(this.lastTicks.keys().next().value!);
      this.lastTicks.set(runId, lastTick);
    }
    if (tick > lastTick) throw RequestError.invalid(subject, tickPath, 'range', `must be at most ${lastTick}, the run's last tick (got ${tick})`);
  }

  private async lookUp(value: string): Promise<EnrollmentTokenGrant | undefined> {
    const cached = this.known.get(value);
    if (cached !== undefined) return cached;
    const grant = await this.tokens.find(sha256(value));
    if (grant !== undefined) {
      if (this.known.size >= MAX_CACHED_TOKENS) this.known.delete(this.known.keys().next().value!);
      this.known.set(value, grant);
    }
    return grant;
  }
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
