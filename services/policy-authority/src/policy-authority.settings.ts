// What the module needs besides its ports: secrets, given by main.ts from the environment or by
// the embedded composition root. A class, so it is injected by type (conventions.md principle 4).

// Far above what a load test or one local stack sends (the CheckIn benchmark aims at ≥ 4,000 a
// second from one address): it stops a runaway client, not a load test. RATE_LIMIT_PER_SECOND sets it.
export const DEFAULT_RATE_LIMIT_PER_SECOND = 50_000;

export class PolicyAuthoritySettings {
  constructor(
    /** Bearer token of the admin API (HTTP Authorization header, gRPC `authorization` metadata). */
    readonly adminToken: string,
    /** Key of the HMAC that derives device credentials; changing it revokes every credential. */
    readonly enrollmentSecret: string,
    /** PolicyService requests a second each client (by address) may make; 0 = no limit. */
    readonly rateLimitPerSecond: number = DEFAULT_RATE_LIMIT_PER_SECOND,
    /** The stack's service key: a persona-runtime identity made with it may re-enroll handsets. */
    readonly serviceIdentityKey?: string,
  ) {
    const missing = [adminToken === '' && 'adminToken', enrollmentSecret === '' && 'enrollmentSecret'].filter(Boolean);
    if (missing.length > 0) throw new Error(`policy-authority: ${missing.join(' and ')} must not be empty`);
  }
}
