// Per-persona cost: which world caused each part of a handset's battery drain and radio traffic
// (docs/design.md#the-domain). The hypervisor draws one battery for both worlds; this splits the
// drain it computes by cause, so the split always sums to the drain:
// - the handset's standby current is the host's (the host world runs whether or not a guest does);
// - the guest's wake lock (mvpkm holds the host awake while the monitor runs [C2]), the guest's
//   CPU, the world-switch overhead its CPU share costs [P5] and an always-on VPN are the guest's;
// - the screen is the world that holds the interactive session;
// - radio time is shared in proportion to each world's traffic.
// Data is counted by the world that sent it; the platform billed all of it to the host, because
// guest sockets run on the host's network stack (pvTCP) and Android's data-usage accounting counts
// them against the MVP app [C1] (docs/sources.md#mvp-the-hypervisor).

/** Per-tick sums over a shard's handsets, in this order (reset by the hypervisor every tick). */
export const TickCost = { PERSONAL_MICRO_AH: 0, BUSINESS_MICRO_AH: 1, PERSONAL_KILOBYTES: 2, BUSINESS_KILOBYTES: 3 } as const;
export const TICK_COST_SIZE = 4;

/** Microampere-hours one tick of `milliamps` draws. */
export function microAh(milliamps: number, tickSeconds: number): number {
  return Math.round((milliamps * tickSeconds * 1000) / 3600);
}

/** Kilobytes one tick of `kbps` carries (kilobits over 8, as the persona runtimes count data). */
export function kilobytes(kbps: number, tickSeconds: number): number {
  return Math.floor((kbps * tickSeconds) / 8);
}

/**
 * The guest's part of a tick's drain, in µAh, out of `drain` (never more): the current it caused,
 * rounded like the drain, so the host's part (drain minus this) is never negative.
 */
export function businessDrain(drain: number, businessMilliamps: number, tickSeconds: number): number {
  const part = microAh(businessMilliamps, tickSeconds);
  return part < drain ? part : drain;
}
