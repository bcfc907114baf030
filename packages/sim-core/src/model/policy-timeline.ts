// Which policy applies to which group from which tick, and whether a region can reach the policy
// authority. This is the agent's view of the policy authority: the in-process adapter of the
// PolicySource port (the networked one asks policy-authority over gRPC).
import { ValidationError } from '../errors';
import { DEFAULT_POLICY, compilePolicy, type EffectivePolicy, type Policy } from './policy';

/** Every policy a run has seen, by index; index 0 is AMAPI's defaults. */
export class PolicyRegistry {
  readonly policies: Policy[] = [DEFAULT_POLICY];
  readonly effective: EffectivePolicy[] = [compilePolicy(DEFAULT_POLICY)];

  register(policy: Policy): number {
    this.policies.push(policy);
    this.effective.push(compilePolicy(policy));
    if (this.policies.length > 0xffff) throw new RangeError('more than 65535 policy versions in one run');
    return this.policies.length - 1;
  }
}

export interface PolicySource {
  /** Registry index of the policy assigned to `group` at `tick` (0 = defaults). */
  policyFor(group: number, tick: number): number;
  /** Whether handsets in `region` reach the policy authority at `tick`. */
  reachable(region: number, tick: number): boolean;
}

interface Assignment {
  readonly effectiveTick: number;
  readonly policyIndex: number;
}

interface Outage {
  readonly region: number;
  readonly fromTick: number;
  readonly toTick: number; // exclusive
}

export class PolicyTimeline implements PolicySource {
  private readonly byGroup: Assignment[][];
  private readonly outages: Outage[] = [];

  constructor(readonly groupNames: readonly string[]) {
    this.byGroup = groupNames.map(() => []);
  }

  /** Assigns a policy to groups (all when `groups` is undefined) from `effectiveTick` on. */
  assign(policyIndex: number, effectiveTick: number, groups?: readonly string[]): void {
    const codes = groups === undefined ? this.groupNames.map((_, code) => code) : groups.map((name, i) => this.groupCode(name, `groups.${i}`));
    for (const code of codes) {
      const list = this.byGroup[code];
      // Keep ascending by tick; a later assignment at the same tick wins.
      let at = list.length;
      while (at > 0 && list[at - 1].effectiveTick > effectiveTick) at--;
      list.splice(at, 0, { effectiveTick, policyIndex });
    }
  }

  addOutage(region: number, fromTick: number, toTick: number): void {
    this.outages.push({ region, fromTick, toTick });
  }

  policyFor(group: number, tick: number): number {
    const list = this.byGroup[group];
    for (let k = list.length - 1; k >= 0; k--) if (list[k].effectiveTick <= tick) return list[k].policyIndex;
    return 0;
  }

  reachable(region: number, tick: number): boolean {
    for (const outage of this.outages) if (outage.region === region && tick >= outage.fromTick && tick < outage.toTick) return false;
    return true;
  }

  private groupCode(name: string, path: string): number {
    const code = this.groupNames.indexOf(name);
    if (code < 0)
      throw new ValidationError('policy assignment', [{ path, rule: 'enum', message: `unknown group "${name}"; known: ${this.groupNames.join(', ')}` }]);
    return code;
  }
}
