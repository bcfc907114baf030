// How much RAM a handset model can give its guest world: what is left after the host's base, the
// hypervisor and the host's balloon floor. The hypervisor caps `duet.guestMemoryMb` at it; the agent
// reports a larger value as INVALID_VALUE, which this handset cannot apply (docs/design.md "policy model").
import { BALLOON_FLOOR_MB, HOST_BASE_MEMORY_MB, HYPERVISOR_MEMORY_MB } from './calibration';
import { CATALOGUE } from './catalogue';

export function guestMemoryCeilingMb(model: number): number {
  return CATALOGUE[model].ramMb - HOST_BASE_MEMORY_MB - HYPERVISOR_MEMORY_MB - BALLOON_FLOOR_MB;
}
