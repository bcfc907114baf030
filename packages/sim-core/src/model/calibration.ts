// Every constant the behaviour models use, with its source id from docs/sources.md or a
// label saying what it is not: V verified, V-press vendor quoted by the press, D derived from
// sourced figures, NV an assumption of ours (no source found): change those freely.
import { App } from './enums';

// --- Time -------------------------------------------------------------------------------------
export const DEFAULT_TICK_SECONDS = 60; // simulated seconds per tick (docs/design.md#time-shards-and-determinism default)
export const MINUTES_PER_DAY = 1440;

// --- Usage (docs/sources.md#usage) ------------------------------------------------------------------------
export const DAILY_USE_MINUTES = 59.23; // minutes of phone use per day, Böhmer et al. 2011 [W3][W4]
export const MEAN_SESSION_SECONDS = 71.56; // average app session [W4]
export const SESSIONS_PER_DAY = (DAILY_USE_MINUTES * 60) / MEAN_SESSION_SECONDS; // ≈ 49.7 sessions/day, D
// Session length: exponential body with a shifted-Pareto tail [W1]; the tail share and shape are NV.
export const SESSION_TAIL_PROBABILITY = 0.05; // NV
export const SESSION_TAIL_PARETO_ALPHA = 1.5; // NV
export const SESSION_MAX_SECONDS = 3600; // NV cap, one hour
// Per-user intensity spread: interactions per day range 10–200 across users [W1]; we draw a
// log-uniform multiplier over [10/50, 200/50] around the Böhmer mean (D).
export const INTENSITY_MIN = 0.2; // D from [W1]
export const INTENSITY_MAX = 4; // D from [W1]

// Relative interaction rate by hour of day, 0–23 (NV shape; communication first after waking,
// games at night, per the qualitative finding of [W3]). Normalised at module load.
const HOURLY_SHAPE = [0.3, 0.15, 0.1, 0.05, 0.05, 0.1, 0.5, 1.2, 1.5, 1.3, 1.2, 1.2, 1.4, 1.3, 1.2, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.6, 1.2, 0.7];
const SHAPE_MEAN = HOURLY_SHAPE.reduce((sum, value) => sum + value, 0) / 24;
/** Multiplier on the mean interaction rate for each hour (mean over the day = 1). */
export const HOURLY_RATE: readonly number[] = HOURLY_SHAPE.map((value) => value / SHAPE_MEAN);
// Share of interactions that go to the business persona, by hour (NV: office hours 9–18 lean work).
export const BUSINESS_SHARE_BY_HOUR: readonly number[] = [
  0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.1, 0.25, 0.45, 0.55, 0.55, 0.5, 0.35, 0.5, 0.55, 0.55, 0.5, 0.35, 0.2, 0.1, 0.1, 0.1, 0.05, 0.05,
];

// App mix per persona (weights by App code; NV: communication apps dominate [W3]).
export const PERSONAL_APP_WEIGHTS: readonly number[] = appWeights({
  EMAIL: 0.08,
  BROWSER: 0.2,
  CALLS: 0.12,
  CAMERA: 0.05,
  MESSAGING: 0.22,
  MAPS: 0.05,
  SOCIAL: 0.16,
  GAMES: 0.12,
});
export const BUSINESS_APP_WEIGHTS: readonly number[] = appWeights({
  EMAIL: 0.4,
  BROWSER: 0.2,
  CALLS: 0.2,
  CAMERA: 0.02,
  MESSAGING: 0.12,
  MAPS: 0.06,
  SOCIAL: 0,
  GAMES: 0,
});

/** What an app asks of the hardware while in the foreground (all NV estimates for 2011 handsets). */
export interface AppDemand {
  readonly cpuMhz: number; // CPU demand, MHz of one core
  readonly memoryMb: number; // resident memory
  readonly radioKbps: number; // average radio throughput while active
  readonly screen: boolean;
}
export const APP_DEMAND: Readonly<Record<number, AppDemand>> = {
  [App.EMAIL]: { cpuMhz: 200, memoryMb: 24, radioKbps: 60, screen: true },
  [App.BROWSER]: { cpuMhz: 650, memoryMb: 64, radioKbps: 500, screen: true },
  [App.CALLS]: { cpuMhz: 150, memoryMb: 12, radioKbps: 24, screen: false }, // voice, AMR-class rate
  [App.CAMERA]: { cpuMhz: 800, memoryMb: 80, radioKbps: 0, screen: true },
  [App.MESSAGING]: { cpuMhz: 120, memoryMb: 16, radioKbps: 4, screen: true },
  [App.MAPS]: { cpuMhz: 550, memoryMb: 72, radioKbps: 300, screen: true },
  [App.SOCIAL]: { cpuMhz: 450, memoryMb: 48, radioKbps: 250, screen: true },
  [App.GAMES]: { cpuMhz: 900, memoryMb: 96, radioKbps: 16, screen: true },
};
// Background demand of an idle persona (services, sync adapters): NV.
export const IDLE_CPU_MHZ = 20;
export const IDLE_MEMORY_MB = 8;
// Business email: EAS Direct Push heartbeat starts at 470 s [E3]; each heartbeat is a short radio burst.
export const EMAIL_HEARTBEAT_SECONDS = 470; // [E3]
export const EMAIL_SYNC_RADIO_KBPS = 40; // NV
export const EMAIL_SYNC_CPU_MHZ = 80; // NV

// Connection speed bounds radio demand: smartphone average 1,344 kbps in 2011 [N2].
export const CONNECTION_KBPS_3G = 1344; // [N2]
export const CONNECTION_KBPS_LTE = 5000; // NV (LTE handsets of 2011–12)

// --- Hypervisor (docs/sources.md#mvp-the-hypervisor) -------------------------------------------------------------
// World-switch overhead as a share of guest CPU time: "tax on the CPU of 2 percent at most",
// VMware marketing for the 2008 type-1 design [P5]; used as an upper bound (V-press).
export const WORLD_SWITCH_OVERHEAD = 0.02; // [P5]
// A session whose CPU or memory grant falls below this share of its demand is degraded (NV).
export const STARVATION_THRESHOLD = 0.8;
// Host Android base footprint (kernel, system_server, launcher): NV.
export const HOST_BASE_MEMORY_MB = 160;
// Hypervisor footprint: "<20 kB" [P5][P6] for the 2008 type-1 design; the hosted MVP's vmx and
// monitor are bigger but unmeasured, so we round up to 4 MB (NV).
export const HYPERVISOR_MEMORY_MB = 4;
// Guest Android base footprint when running: NV.
export const GUEST_BASE_MEMORY_MB = 48;
// Balloon: never leave either world below 8192 pages ≈ 32 MB [C6] (D for MB).
export const BALLOON_FLOOR_MB = 32; // [C6], D
// Largest balloon move per tick: NV (the wire allows a signed 21-bit page delta [C6]).
export const BALLOON_STEP_MB = 16;
export const PAGE_KB = 4; // 4 KiB pages [C6]

// Guest image: < 40 MB per VM in the 2009 demo [P6]; downloaded at the connection speed above.
export const GUEST_IMAGE_MB = 40; // [P6]
// Guest boot: not found in any source (NV).
export const GUEST_BOOT_SECONDS = 90; // NV
// A locked work side is unlocked by its owner after this many minutes on average (NV).
export const MINUTES_TO_UNLOCK = 30;
// Provisioning of the business world starts for each handset within this window (NV).
export const DEFAULT_ENROLLMENT_WINDOW_MINUTES = 120;

// --- Battery (docs/sources.md#battery) --------------------------------------------------------------------
// Standby: "up to 29 days standby" for the 1500 mAh Optimus One [L1]: 1500 / (29 × 24) ≈ 2.2 mA (D).
export const STANDBY_MA = 1500 / (29 * 24); // D from [L1]
// Guest world held awake (mvpkm takes a host wake lock while the monitor runs [C2]); magnitude NV.
export const GUEST_RUNNING_MA = 3;
// CPU: mA per 1000 MHz of granted CPU (NV, typical 2011 Cortex-A9 under load).
export const CPU_MA_PER_GHZ = 260;
export const SCREEN_MA = 170; // NV (3.5–4.3" LCD at mid brightness)
export const RADIO_3G_ACTIVE_MA = 220; // NV
export const RADIO_LTE_ACTIVE_MA = 300; // NV
// An always-on VPN keeps the radio waking for keep-alives (NV), and encrypts all work traffic [P21].
export const VPN_KEEPALIVE_MA = 4; // NV
export const VPN_TRAFFIC_OVERHEAD = 0.1; // NV, share of business radio throughput
// Charger: 1 A USB charger of the era (NV); charge current above 80% tapers (NV).
export const CHARGER_MA = 1000;
export const CHARGE_TAPER_FROM_PERMILLE = 800;
// Android's low-battery warning fires at 15 % (AOSP default; no source in docs/sources.md: NV here).
export const BATTERY_LOW_PERMILLE = 150;
// Duet's hypervisor suspends the guest below 5 % and resumes it above 10 % (D: our design).
export const GUEST_SUSPEND_BELOW_PERMILLE = 50;
export const GUEST_RESUME_ABOVE_PERMILLE = 100;
// A handset that died boots again once charged to 3 % (NV).
export const BOOT_ABOVE_PERMILLE = 30;

// Charging behaviour: 64 % charge overnight [B4]; people start looking for a charger at 20–38 %
// [B5] (we draw each user's threshold uniformly in that range, D).
export const OVERNIGHT_CHARGER_SHARE = 0.64; // [B4]
export const ANXIETY_MIN_PERMILLE = 200; // [B5]
export const ANXIETY_MAX_PERMILLE = 380; // [B5]
export const OVERNIGHT_PLUG_HOUR = 23; // NV
export const OVERNIGHT_UNPLUG_HOUR = 7; // NV
// Minutes to reach a charger once anxious, mean of an exponential (NV).
export const MINUTES_TO_CHARGER = 45;
// 64 % keep the phone plugged at least 40 min [B4]: we unplug anxious charges after at least 40 min
// and once above 90 % (D).
export const MIN_PLUGGED_MINUTES = 40; // [B4]
export const UNPLUG_ABOVE_PERMILLE = 900; // NV
// Initial charge at tick 0: uniform in [40 %, 100 %] (NV).
export const INITIAL_CHARGE_MIN_PERMILLE = 400;

// --- Cross-persona flows (docs/design.md#the-domain) -----------------------------------------------------------
// Chance per minute of an active session that the user tries to move data across personas (NV).
export const FLOW_ATTEMPTS_PER_SESSION_MINUTE = 0.03;

// --- Agent check-in cadence (docs/sources.md#check-ins) -------------------------------------------------------
// Intune, Android, newly enrolled: every 3 min for 15 min, then every 15 min for 2 h, then about
// every 8 h [M1][M2] (V-press). Phases count from each enrollment, one after the other.
export const ENROLLMENT_CHECK_IN_PHASES: readonly { readonly everyMinutes: number; readonly forMinutes: number }[] = [
  { everyMinutes: 3, forMinutes: 15 }, // [M1][M2]
  { everyMinutes: 15, forMinutes: 120 }, // [M1][M2]
];
// The steady interval after the phases: "about every 8 h" [M1][M2]. Intune pushes urgent changes
// and calls the 8 h check-in a maintenance fallback [M3]; Duet's agents only poll.
export const STEADY_CHECK_IN_MINUTES = 480; // [M1][M2]
// Each wait is drawn uniformly within ± this share of itself, so agents enrolled together drift
// apart ("about every 8 h" [M1][M2] says there is spread; its size is NV).
export const CHECK_IN_JITTER_PERCENT = 10; // NV
// After a failed enrollment or check-in (refused, or the authority out of reach) the agent retries
// after 1 min, doubling each time, at most 1 h and never later than its next regular check-in
// would be; a success resets it. No MDM source gives these (NV, our design); the era's EAS client
// fell back to polling every 5 min after a failed ping [E3].
export const RETRY_BACKOFF_FIRST_MINUTES = 1; // NV
export const RETRY_BACKOFF_MAX_MINUTES = 60; // NV

// --- Agent and compliance (docs/sources.md#check-ins, #compliance-rates) ---------------------------------------------------
// Users who removed their PIN: 22 % of enterprises saw it [R1]; we give 22 % of users no passcode (D).
export const NO_PASSCODE_SHARE = 0.22; // [R1], D
export const NUMERIC_PASSCODE_SHARE = 0.5; // NV (of the rest)
// Chance per check-in that a user fixes a passcode the policy asks for (NV).
export const PASSCODE_FIX_PER_CHECK_IN = 0.25;
// Chance per check-in that an always-on VPN fails to come up (NV).
export const VPN_FAILURE_PER_CHECK_IN = 0.02;
// Chance per check-in that an outdated forced app updates (NV).
export const APP_UPDATE_PER_CHECK_IN = 0.3;
// MVP versions seen in code: 1.0.2.15 [C1] and 1.5.0 [C2]; share on the newer one (NV).
export const HYPERVISOR_VERSIONS = ['1.0.2.15', '1.5.0'] as const; // [C1][C2]
export const NEWER_HYPERVISOR_SHARE = 0.6; // NV
// Version codes each business app may have at provisioning, drawn per handset and app (NV).
export const APP_VERSION_CODES = [100, 110, 120] as const;

function appWeights(byName: Partial<Record<keyof typeof App, number>>): number[] {
  const weights = new Array<number>(Object.keys(App).length + 1).fill(0);
  for (const [name, weight] of Object.entries(byName)) weights[App[name as keyof typeof App]] = weight ?? 0;
  return weights;
}
