// The per-tick exchange between a persona runtime and hypervisor-core for one shard, as columns
// (docs/design.md#time-shards-and-determinism, #scale-and-performance; proto/duet/persona/v1). Index i is the shard's i-th handset. Batches are
// allocated once per shard and overwritten every tick.

// SUSPEND_DEVICE: an enforcement block with BLOCK_SCOPE_DEVICE, which also stops the personal world [A1].
export const WorldRequest = { NONE: 0, SUSPEND: 1, RESUME: 2, WIPE: 3, LOCK: 4, UNLOCK: 5, SUSPEND_DEVICE: 6 } as const;
export type WorldRequest = (typeof WorldRequest)[keyof typeof WorldRequest];

export const FlowResult = { NONE: 0, ALLOWED: 1, BLOCKED: 2 } as const;

/** What one persona asks of the hypervisor for one tick. */
export class DemandBatch {
  tick = -1;
  readonly cpuMhz: Uint16Array;
  readonly memoryMb: Uint16Array;
  readonly radioKbps: Uint16Array;
  readonly screenOn: Uint8Array;
  readonly app: Uint8Array; // App code of the foreground session, 0 = idle
  readonly flowKind: Uint8Array; // FlowKind the user attempts this tick, 0 = none
  // Business persona only: what the MDM agent asks of its own world, and the policy it applied
  // (an index into the run's PolicyRegistry), which the hypervisor mediates flows with.
  readonly worldRequest: Uint8Array;
  readonly policyIndex: Uint16Array;
  // 1 once the agent has enrolled and applied a policy: until then no flow is allowed.
  readonly policyApplied: Uint8Array;

  constructor(readonly size: number) {
    this.cpuMhz = new Uint16Array(size);
    this.memoryMb = new Uint16Array(size);
    this.radioKbps = new Uint16Array(size);
    this.screenOn = new Uint8Array(size);
    this.app = new Uint8Array(size);
    this.flowKind = new Uint8Array(size);
    this.worldRequest = new Uint8Array(size);
    this.policyIndex = new Uint16Array(size);
    this.policyApplied = new Uint8Array(size);
  }
}

/** What the hypervisor gives one persona for one tick, and the world facts the persona needs. */
export class GrantBatch {
  tick = -1;
  readonly cpuMhz: Uint16Array;
  readonly memoryMb: Uint16Array;
  readonly guestState: Uint8Array;
  readonly batteryPermille: Uint16Array;
  readonly powered: Uint8Array;
  readonly foreground: Uint8Array; // Persona holding the screen this tick, 0 = none
  readonly flowResult: Uint8Array; // FlowResult of this persona's flow request
  readonly incomingItems: Uint8Array; // data items delivered into this persona by allowed flows

  constructor(readonly size: number) {
    this.cpuMhz = new Uint16Array(size);
    this.memoryMb = new Uint16Array(size);
    this.guestState = new Uint8Array(size);
    this.batteryPermille = new Uint16Array(size);
    this.powered = new Uint8Array(size);
    this.foreground = new Uint8Array(size);
    this.flowResult = new Uint8Array(size);
    this.incomingItems = new Uint8Array(size);
  }
}
