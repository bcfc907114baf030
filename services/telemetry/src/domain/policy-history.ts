// Which policy version each handset had applied, tick by tick, from its POLICY_APPLIED events.
// An event of tick t is attributed to the version its handset held when tick t began (the agent
// applies a new version at the end of a tick, after the tick's sessions and flows), so the
// attribution does not depend on the order in which the roles' batches of one tick arrive.

export interface PolicyApplication {
  readonly handsetId: number;
  readonly tick: number;
  readonly version: number;
}

/** Version a handset holds before it applied any policy (AMAPI's defaults). */
export const NO_POLICY_VERSION = 0;

export class PolicyHistory {
  // Per handset, applications sorted by tick (few per run: one per policy change reaching it).
  private readonly byHandset = new Map<number, PolicyApplication[]>();

  /** Records an application; false when that handset's application at that tick is known. */
  record(application: PolicyApplication): boolean {
    let applications = this.byHandset.get(application.handsetId);
    if (applications === undefined) this.byHandset.set(application.handsetId, (applications = []));
    let at = applications.length;
    while (at > 0 && applications[at - 1].tick > application.tick) at--;
    if (at > 0 && applications[at - 1].tick === application.tick) return false;
    applications.splice(at, 0, application);
    return true;
  }

  /** The version the handset held when `tick` began: its last application at an earlier tick. */
  versionAt(handsetId: number, tick: number): number {
    const applications = this.byHandset.get(handsetId);
    if (applications === undefined) return NO_POLICY_VERSION;
    for (let i = applications.length - 1; i >= 0; i--) if (applications[i].tick < tick) return applications[i].version;
    return NO_POLICY_VERSION;
  }
}
