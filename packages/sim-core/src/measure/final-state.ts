// The final per-handset state that enters the run digest, per role: each service reports the
// columns it owns, and the digest orders them by name and handset id (docs/design.md#time-shards-and-determinism).
import type { AgentShard } from '../model/agent';
import type { HypervisorShard } from '../model/hypervisor';
import type { PersonaShard } from '../model/workload';
import { Persona } from '../model/enums';

export type StateColumns = Record<string, ArrayLike<number>>;

export function hypervisorFinalState(state: HypervisorShard): StateColumns {
  return {
    batteryMicroAh: state.batteryMicroAh,
    powered: state.powered,
    charging: state.charging,
    emptyCount: state.emptyCount,
    guestState: state.guestState,
    guestMemoryMb: state.guestMemoryMb,
  };
}

export function personaFinalState(state: PersonaShard): StateColumns {
  if (state.persona === Persona.PERSONAL) {
    return {
      personalSessions: state.sessions,
      personalDegradedSessions: state.degradedSessions,
      personalDataKilobytes: state.dataKilobytes,
      personalBusinessItems: state.itemsReceived,
    };
  }
  return {
    businessSessions: state.sessions,
    businessDegradedSessions: state.degradedSessions,
    businessBlockedSessions: state.blockedSessions,
    businessDataKilobytes: state.dataKilobytes,
    businessPersonalItems: state.itemsReceived,
  };
}

export function agentFinalState(state: AgentShard): StateColumns {
  return {
    enrolled: state.enrolled,
    policyIndex: state.policyIndex,
    complianceMask: state.complianceMask,
    enforcement: state.enforcement,
    passcodeRank: state.passcodeRank,
    checkIns: state.checkIns,
  };
}

/** Scatters one shard's columns into fleet-wide columns indexed by handset id. */
export function scatterState(into: Record<string, Float64Array>, handsets: number, ids: ArrayLike<number>, columns: StateColumns): void {
  for (const [name, values] of Object.entries(columns)) {
    const column = (into[name] ??= new Float64Array(handsets));
    for (let i = 0; i < ids.length; i++) column[ids[i]] = values[i];
  }
}
