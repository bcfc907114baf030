// LG Android handsets of 2010–2012 that a simulated fleet is drawn from (docs/sources.md#lg-handsets).
// Every figure carries the id of its source in docs/sources.md; figures marked NV (not verified)
// there are named in `notes` and never presented as fact in the typed fields.
// The sources back a model as a whole, so a figure cites its model's set unless one source alone gives it.
// `lte` is true only where a source names LTE.

import { ValidationError } from '../errors';

export interface HandsetModel {
  /** Kebab-case id used in scenarios and events, e.g. `optimus-2x`. */
  readonly name: string;
  readonly displayName: string;
  readonly soc: string;
  readonly cores: number;
  readonly clockMhz: number;
  readonly ramMb: number;
  readonly batteryMah: number;
  /** Android release the handset shipped with, e.g. `2.2.1`. */
  readonly androidAtLaunch: string;
  /** API level of `androidAtLaunch`: 2.2 → 8, 2.3.3–2.3.7 → 10, 4.0–4.0.2 → 14, 4.0.3–4.0.4 → 15. */
  readonly apiLevel: number;
  readonly lte: boolean;
  /** Ids of docs/sources.md's sources behind the figures, e.g. `['L3', 'L4']`. */
  readonly sources: readonly string[];
  /** Caveats: figures the sources disagree on or that are not verified (NV). */
  readonly notes?: string;
}

function model(handset: HandsetModel): HandsetModel {
  return Object.freeze({ ...handset, sources: Object.freeze([...handset.sources]) });
}

export const CATALOGUE: readonly HandsetModel[] = Object.freeze([
  model({
    name: 'optimus-one',
    displayName: 'LG Optimus One (P500)',
    soc: 'Qualcomm MSM7227', // [L1][L2]; ARM1136EJ-S, Adreno 200
    cores: 1, // [L1][L2]
    clockMhz: 600, // [L1][L2]
    ramMb: 512, // [L1][L2]; SDRAM; user storage 140–170 MB
    batteryMah: 1500, // [L1][L2]; LGIP-400N, 5.6 Wh
    androidAtLaunch: '2.2.1', // [L1][L2]
    apiLevel: 8, // Android 2.2.x is API 8
    lte: false, // D: docs/sources.md#lg-handsets lists no LTE for this 2010 model
    sources: ['L1', 'L2'],
    notes: 'CDMA variants use the MSM7627; upgradable to Android 2.3.3; "up to 29 days standby" is a vendor claim [L1][L2].',
  }),
  model({
    name: 'optimus-2x',
    displayName: 'LG Optimus 2X (P990)',
    soc: 'NVIDIA Tegra 2 (AP20H)', // [L3]–[L6]; Cortex-A9
    cores: 2, // [L3]–[L6]
    clockMhz: 1000, // [L3]–[L6]
    ramMb: 512, // [L3]–[L6]
    batteryMah: 1500, // [L3]–[L6]
    androidAtLaunch: '2.2', // [L3]–[L6]
    apiLevel: 8, // Android 2.2 is API 8
    lte: false, // D: docs/sources.md#lg-handsets lists no LTE for this 2010–11 model
    sources: ['L3', 'L4', 'L5', 'L6'],
    notes: 'Android 2.3 was promised at launch [L3]–[L6].',
  }),
  model({
    name: 'optimus-black',
    displayName: 'LG Optimus Black (P970)',
    soc: 'TI OMAP 3', // [L7][L8]; PowerVR SGX530; part number not stated in the sources
    cores: 1, // [L7][L8]
    clockMhz: 1000, // [L7][L8]
    ramMb: 512, // [L7][L8]
    batteryMah: 1500, // [L7][L8]
    androidAtLaunch: '2.2.2', // [L7][L8]
    apiLevel: 8, // Android 2.2.x is API 8
    lte: false, // D: docs/sources.md#lg-handsets lists no LTE for this 2011 model
    sources: ['L7', 'L8'],
    notes:
      'SoC part number OMAP3630 is NV (not verified); the sources say only "TI OMAP 3". Battery life anchors: ~8 h average use [L23], LG claims two days [L25].',
  }),
  model({
    name: 'optimus-3d',
    displayName: 'LG Optimus 3D (P920)',
    soc: 'TI OMAP4430', // [L9]–[L12]; Cortex-A9, dual-channel LPDDR2, PowerVR SGX540
    cores: 2, // [L9]–[L12]
    clockMhz: 1000, // [L9]–[L12]
    ramMb: 512, // [L12]; ambiguous, see notes
    batteryMah: 1500, // [L9]–[L12]
    androidAtLaunch: '2.2', // [L9]–[L12]
    apiLevel: 8, // Android 2.2 is API 8
    lte: false, // D: docs/sources.md#lg-handsets lists no LTE for this 2011 model
    sources: ['L9', 'L10', 'L11', 'L12'],
    notes:
      'RAM is ambiguous: 512 MB per [L12]; other sources say "4 GB DDR2", probably 4 Gbit, so treat RAM as unreliable. Spain shipped Android 2.3 [L9]–[L12].',
  }),
  model({
    name: 'optimus-lte',
    displayName: 'LG Optimus LTE (LU6200)',
    soc: 'Qualcomm Snapdragon S3', // [L13]–[L16]; MSM8660 part unconfirmed, see notes
    cores: 2, // [L13]–[L16]
    clockMhz: 1500, // [L13]–[L16]
    ramMb: 1024, // [L13]–[L16]
    batteryMah: 1830, // [L13]–[L16]
    androidAtLaunch: '2.3.5', // [L13]–[L16]
    apiLevel: 10, // Android 2.3.3–2.3.7 is API 10
    lte: true, // [L13]–[L16]; the model is named for it
    sources: ['L13', 'L14', 'L15', 'L16'],
    notes: 'Chipset MSM8660 is NV: the source itself calls it "unconfirmed".',
  }),
  model({
    name: 'optimus-4x-hd',
    displayName: 'LG Optimus 4X HD',
    soc: 'NVIDIA Tegra 3', // [L17]
    cores: 4, // [L17]
    clockMhz: 1500, // [L17]
    ramMb: 1024, // [L17]
    batteryMah: 2150, // [L17]
    androidAtLaunch: '4.0', // [L17]
    apiLevel: 14, // Android 4.0 is API 14
    lte: false, // [L17] lists no LTE
    sources: ['L17'],
    notes: 'Battery anchor: 6 h 28 min looping 720p video at full brightness [L26].',
  }),
  model({
    name: 'optimus-g',
    displayName: 'LG Optimus G (E973)',
    soc: 'Qualcomm Snapdragon S4 Pro APQ8064', // [L18][L19]
    cores: 4, // [L18][L19]
    clockMhz: 1500, // [L18][L19]
    ramMb: 2048, // [L18][L19]
    batteryMah: 2100, // [L18][L19]
    androidAtLaunch: '4.0.4', // [L18][L19]
    apiLevel: 15, // Android 4.0.3–4.0.4 is API 15
    lte: true, // [L18] "first LTE smartphone with quad-core processor"
    sources: ['L18', 'L19'],
  }),
  model({
    name: 'intuition',
    displayName: 'LG Intuition (Optimus Vu, Verizon)',
    soc: 'Qualcomm Snapdragon (dual-core)', // [L20]–[L22]; generation disputed, see notes
    cores: 2, // [L20]–[L22]
    clockMhz: 1500, // [L20]–[L22]
    ramMb: 1024, // [L20]–[L22]
    batteryMah: 2080, // [L20]–[L22]; non-removable
    androidAtLaunch: '4.0', // [L20]–[L22]
    apiLevel: 14, // Android 4.0 is API 14
    lte: true, // [L20][L21]
    sources: ['L20', 'L21', 'L22'],
    notes:
      'Snapdragon generation is NV: S3 per [L21][L22], S4 per [L20]. The first confirmed LG Horizon Mobile device [P17]; "up to 15 h talk" is a vendor claim [L20]–[L22].',
  }),
]);

const INDEX_BY_NAME: ReadonlyMap<string, number> = new Map(CATALOGUE.map((handset, index) => [handset.name, index]));

/** Index of a model in `CATALOGUE`; throws a ValidationError naming the field `model` when unknown. */
export function modelIndexByName(name: string): number {
  const index = INDEX_BY_NAME.get(name);
  if (index === undefined) {
    const known = CATALOGUE.map((handset) => handset.name).join(', ');
    throw new ValidationError('handset model', [{ path: 'model', rule: 'enum', message: `unknown model "${name}"; known: ${known}` }]);
  }
  return index;
}

export function modelByName(name: string): HandsetModel {
  return CATALOGUE[modelIndexByName(name)];
}
