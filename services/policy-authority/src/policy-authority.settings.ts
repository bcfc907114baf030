// What the module needs besides its ports: secrets, given by main.ts from the environment or by
// the embedded composition root. A class, so it is injected by type (conventions.md principle 4).
export class PolicyAuthoritySettings {
  constructor(
    /** Bearer token of the admin API (HTTP Authorization header, gRPC `authorization` metadata). */
    readonly adminToken: string,
    /** Key of the HMAC that derives device credentials; changing it revokes every credential. */
    readonly enrollmentSecret: string,
  ) {
    const missing = [adminToken === '' && 'adminToken', enrollmentSecret === '' && 'enrollmentSecret'].filter(Boolean);
    if (missing.length > 0) throw new Error(`policy-authority: ${missing.join(' and ')} must not be empty`);
  }
}
