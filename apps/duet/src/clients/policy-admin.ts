// The port a run publishes its policy timeline and gets its enrollment token through: the
// PolicyAdminService calls, answered by the embedded policy-authority in this process, by the local
// stack's over HTTP, or by any server of the contract over gRPC (a load test).
import type { policy } from '@duet/contracts';

export interface PolicyAdmin {
  /** Stores an AMAPI policy document as its name's next version. */
  createPolicy(document: unknown): Promise<policy.CreatePolicyResponse>;
  publishPolicy(request: policy.PublishPolicyRequest): Promise<policy.PublishPolicyResponse>;
  createEnrollmentToken(request: policy.CreateEnrollmentTokenRequest): Promise<policy.CreateEnrollmentTokenResponse>;
  close(): void;
}

/** Creates a policy document and publishes it for a run's groups from a tick; returns its run-scoped revision. */
export async function publishRunPolicy(
  admin: PolicyAdmin,
  runId: string,
  document: unknown,
  groups: readonly string[] | undefined,
  effectiveTick: number,
): Promise<number> {
  const created = (await admin.createPolicy(document)).policy!;
  const published = await admin.publishPolicy({ runId, name: created.name, version: created.version, groups: [...(groups ?? [])], effectiveTick });
  return published.revision;
}

/** An enrollment token for every group, valid for the whole run (re-provisioned handsets enroll late). */
export async function runEnrollmentToken(admin: PolicyAdmin, runId: string, durationTicks: number): Promise<string> {
  const response = await admin.createEnrollmentToken({ runId, group: '', tick: 0, durationTicks });
  return response.enrollmentToken!.value;
}
