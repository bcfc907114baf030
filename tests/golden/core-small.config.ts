import type { SimulationConfig } from '@duet/sim-core';

// A small scenario whose digest and summary are pinned: a mixed LG fleet in two regions and two
// groups over a simulated working day, a VPN mandate for sales at 10:00, a passcode rule with
// enforcement, a regional outage and a few remote commands.
export const CORE_SMALL: SimulationConfig = {
  seed: 20110215, // MWC 2011, where LG and VMware showed MVP [P13]
  ticks: 720,
  shards: 3,
  startMinuteOfDay: 7 * 60,
  fleet: {
    handsets: 400,
    models: [
      { name: 'optimus-one', weight: 3 },
      { name: 'optimus-2x', weight: 2 },
      { name: 'optimus-black', weight: 2 },
      { name: 'optimus-3d', weight: 1 },
      { name: 'optimus-lte', weight: 1 },
      { name: 'intuition', weight: 1 },
    ],
    regions: [
      { name: 'emea', weight: 2 },
      { name: 'amer', weight: 1 },
    ],
    groups: [
      { name: 'sales', weight: 1 },
      { name: 'engineering', weight: 2 },
    ],
    enrollmentWindowMinutes: 60,
  },
  policies: [
    {
      tick: 0,
      policy: {
        name: 'policies/baseline',
        version: 1,
        passwordPolicies: [{ passwordScope: 'SCOPE_PROFILE', passwordQuality: 'NUMERIC', passwordMinimumLength: 4 }],
        policyEnforcementRules: [
          { settingName: 'passwordPolicies', blockAction: { blockAfterDays: 0, blockScope: 'BLOCK_SCOPE_WORK_PROFILE' }, wipeAction: { wipeAfterDays: 1 } },
        ],
        duet: { checkInIntervalMinutes: 15 },
      },
    },
    {
      tick: 180,
      groups: ['sales'],
      policy: {
        name: 'policies/sales-vpn',
        version: 2,
        passwordPolicies: [{ passwordScope: 'SCOPE_PROFILE', passwordQuality: 'NUMERIC', passwordMinimumLength: 4 }],
        alwaysOnVpnPackage: { packageName: 'com.example.vpn', lockdownEnabled: true },
        crossProfilePolicies: { crossProfileCopyPaste: 'CROSS_PROFILE_COPY_PASTE_ALLOWED' },
        duet: { checkInIntervalMinutes: 15 },
      },
    },
  ],
  commands: [
    { tick: 300, handsets: [1, 2, 3], type: 'LOCK' },
    { tick: 400, handsets: [10, 11], type: 'WIPE_BUSINESS_WORLD' },
    { tick: 500, handsets: [10], type: 'REPROVISION' },
  ],
  outages: [{ region: 'amer', fromTick: 240, toTick: 360 }],
};
