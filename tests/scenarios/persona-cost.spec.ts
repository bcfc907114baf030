import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { duet, lastJsonLine } from '../cli/duet-cli';

// Per-persona cost and the data-leak ledger as a user meets them: report.json and report.html of
// `duet run`, and the "cost of a policy" table of `duet compare`.

const OPEN = `crossProfilePolicies:
        crossProfileCopyPaste: CROSS_PROFILE_COPY_PASTE_ALLOWED
        crossProfileDataSharing: CROSS_PROFILE_DATA_SHARING_ALLOWED`;
// Two revisions: an open one at 08:00, then at 09:00 (tick 60) one that closes the clipboard and, in B, mandates a VPN.
const scenario = (name: string, vpn: boolean) => `name: ${name}
seed: 9
shards: 2
start: '08:00'
duration: 2h
fleet:
  handsets: 150
  enrollmentWindow: 5m
policies:
  - at: 0
    policy:
      name: policies/open
      ${OPEN}
  - at: 60m
    policy:
      name: policies/closed-clipboard
      ${vpn ? 'alwaysOnVpnPackage: { packageName: com.example.vpn }' : ''}
      crossProfilePolicies:
        crossProfileCopyPaste: COPY_FROM_WORK_TO_PERSONAL_DISALLOWED
        crossProfileDataSharing: CROSS_PROFILE_DATA_SHARING_ALLOWED
`;

interface LedgerEntry {
  flow: string;
  rule: string;
  policyRevision: number;
  count: number;
  firstTick: number;
  lastTick: number;
}
interface Report {
  kpis: Record<string, number | null>;
  series: Record<string, number[]>;
  summary: {
    kpis: { businessItemsInPersonal: number };
    cost: Record<'personal' | 'business', { energyMicroAh: number; dataKilobytes: number; degradedSessions: number }> & { dataBilledToHostKilobytes: number };
    leakLedger: LedgerEntry[];
  };
}

describe('per-persona cost and the data-leak ledger', () => {
  let root: string;
  let report: Report;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'duet-cost-'));
    writeFileSync(join(root, 'a.yaml'), scenario('no-vpn', false));
    writeFileSync(join(root, 'b.yaml'), scenario('vpn', true));
    for (const name of ['a', 'b']) expect(duet(['run', join(root, `${name}.yaml`), '--target', 'core', '--out', join(root, name)]).status).toBe(0);
    report = JSON.parse(readFileSync(join(root, 'a', 'report.json'), 'utf8')) as Report;
  });

  it('writes the cost by persona and the ledger into report.json, consistent with the per-tick series and the KPIs', () => {
    const { cost, leakLedger, kpis } = report.summary;
    const sum = (name: string) => report.series[name].reduce((total, value) => total + value, 0);
    expect(cost.personal.energyMicroAh).toBe(sum('energyPersonalMicroAh'));
    expect(cost.business.energyMicroAh).toBe(sum('energyBusinessMicroAh'));
    expect(cost.business.energyMicroAh).toBeGreaterThan(0);
    expect(cost.dataBilledToHostKilobytes).toBe(cost.personal.dataKilobytes + cost.business.dataKilobytes);
    expect(report.kpis.energy_business_mah).toBe(Math.round(cost.business.energyMicroAh / 10) / 100);
    expect(report.kpis.degraded_sessions_business).toBe(cost.business.degradedSessions);
    // The ledger: every business item in personal, by flow and revision; the clipboard closes at revision 2.
    expect(leakLedger.reduce((total, entry) => total + entry.count, 0)).toBe(kpis.businessItemsInPersonal);
    expect(leakLedger.find((entry) => entry.flow === 'COPY_WORK_TO_PERSONAL' && entry.policyRevision === 1)).toMatchObject({
      rule: 'crossProfilePolicies.crossProfileCopyPaste',
    });
    expect(leakLedger.filter((entry) => entry.flow === 'COPY_WORK_TO_PERSONAL' && entry.policyRevision === 2)).toEqual([]);
    const shares = leakLedger.filter((entry) => entry.flow === 'SHARE_WORK_TO_PERSONAL');
    expect(shares.map((entry) => entry.policyRevision)).toEqual([1, 2]);
    expect(shares[1].firstTick).toBeGreaterThanOrEqual(60);
    expect(report.kpis.leaks_share_work_to_personal).toBe(sum('leaksShareWorkToPersonal'));
    expect(sum('leaksShareWorkToPersonal')).toBe(shares[0].count + shares[1].count);
  });

  it('gives the same cost and ledger through the services (embedded target: telemetry assembles them from the hypervisor’s parts)', () => {
    const out = join(root, 'b-embedded');
    expect(duet(['run', join(root, 'b.yaml'), '--target', 'embedded', '--out', out]).status).toBe(0);
    const [services, core] = [out, join(root, 'b')].map((dir) => (JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report).summary);
    expect(services.leakLedger.length).toBeGreaterThan(0);
    expect(services.leakLedger).toEqual(core.leakLedger);
    expect(services.cost).toEqual(core.cost);
  });

  it('shows both in report.html', () => {
    const html = readFileSync(join(root, 'a', 'report.html'), 'utf8');
    expect(html).toContain('<h2>Cost by persona</h2>');
    expect(html).toContain('<h2>Data-leak ledger</h2>');
    expect(html).toContain('1 (policies[0])');
    expect(html).toContain('Business items into the personal world per tick, by flow');
  });

  it('prints the cost of a policy by persona, B against A, with deltas', () => {
    const run = duet(['compare', join(root, 'a'), join(root, 'b')]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('cost of a policy (by the persona that caused it; B against A)');
    expect(run.stdout).toMatch(/business +energy +[\d,.]+ mAh +[\d,.]+ mAh +\+[\d,.]+ mAh +\+[\d,.]+ %/);
    expect(run.stdout).toMatch(/business +data +[\d,.]+ MB +[\d,.]+ MB +\+[\d,.]+ MB/);
    const json = lastJsonLine(duet(['compare', join(root, 'a'), join(root, 'b'), '--json']).stdout) as {
      costOfPolicy: { persona: string; measure: string; a: number; b: number; delta: number }[];
    };
    expect(json.costOfPolicy.map((row) => `${row.persona} ${row.measure}`)).toEqual([
      'personal energy',
      'personal data',
      'personal degraded sessions',
      'business energy',
      'business data',
      'business degraded sessions',
    ]);
    const businessEnergy = json.costOfPolicy.find((row) => row.persona === 'business' && row.measure === 'energy')!;
    expect(businessEnergy.a).toBe(report.kpis.energy_business_mah);
    expect(businessEnergy.delta).toBeCloseTo(businessEnergy.b - businessEnergy.a, 6);
    expect(businessEnergy.delta).toBeGreaterThan(0); // the VPN's keep-alives and overhead are the business world's
  });
});
