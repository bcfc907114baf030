import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as policy from './generated/duet/policy/v1/policy';

interface AmapiProperty {
  $ref?: string;
  type?: string;
  enum?: string[];
  items?: { $ref?: string; type?: string; enum?: string[] };
}
interface AmapiSchemas {
  schemas: Record<string, { properties: Record<string, AmapiProperty> }>;
}
const amapi = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'amapi-policy-schemas.json'), 'utf8')) as AmapiSchemas;

// An AMAPI policy document setting every field Duet simulates, as an operator would write it.
const document = {
  name: 'enterprises/lg-fleet/policies/business-default',
  version: '3',
  passwordPolicies: [
    {
      passwordScope: 'SCOPE_PROFILE',
      passwordQuality: 'NUMERIC_COMPLEX',
      passwordMinimumLength: 6,
      maximumFailedPasswordsForWipe: 10,
      passwordExpirationTimeout: '86400s',
      passwordHistoryLength: 4,
      requirePasswordUnlock: 'REQUIRE_EVERY_DAY',
      unifiedLockSettings: 'REQUIRE_SEPARATE_WORK_LOCK',
    },
  ],
  maximumTimeToLock: '300000',
  cameraAccess: 'CAMERA_ACCESS_DISABLED',
  screenCaptureDisabled: true,
  crossProfilePolicies: {
    crossProfileCopyPaste: 'COPY_FROM_WORK_TO_PERSONAL_DISALLOWED',
    crossProfileDataSharing: 'DATA_SHARING_FROM_WORK_TO_PERSONAL_DISALLOWED',
    showWorkContactsInPersonalProfile: 'SHOW_WORK_CONTACTS_IN_PERSONAL_PROFILE_DISALLOWED_EXCEPT_SYSTEM',
  },
  alwaysOnVpnPackage: { packageName: 'com.example.vpn', lockdownEnabled: true },
  encryptionPolicy: 'ENABLED_WITH_PASSWORD',
  minimumApiLevel: 10,
  applications: [
    { packageName: 'com.android.email', installType: 'FORCE_INSTALLED', minimumVersionCode: 7 },
    { packageName: 'com.rovio.angrybirds', installType: 'BLOCKED' },
  ],
  statusReportingSettings: {
    applicationReportsEnabled: true,
    deviceSettingsEnabled: true,
    softwareInfoEnabled: true,
    memoryInfoEnabled: true,
    networkInfoEnabled: true,
    displayInfoEnabled: true,
    powerManagementEventsEnabled: true,
    hardwareStatusEnabled: true,
  },
  policyEnforcementRules: [
    {
      settingName: 'passwordPolicies',
      blockAction: { blockAfterDays: 1, blockScope: 'BLOCK_SCOPE_WORK_PROFILE' },
      wipeAction: { wipeAfterDays: 7, preserveFrp: true },
    },
  ],
  duet: { checkInIntervalMinutes: 15, minimumHypervisorVersion: '1.0.2.15', guestMemoryMb: 192 },
};

// Every key and enum string of a JSON value that AMAPI's schema does not know, as paths.
function unknownToAmapi(value: unknown, schemaName: string, path: string): string[] {
  const schema = amapi.schemas[schemaName];
  if (schema === undefined) return [`${path}: schema ${schemaName} missing from the fixture`];
  const problems: string[] = [];
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const property = schema.properties[key];
    if (property === undefined) {
      problems.push(`${path}.${key}`);
      continue;
    }
    const items = property.type === 'array' ? (child as unknown[]) : [child];
    const shape = property.type === 'array' ? (property.items ?? {}) : property;
    for (const item of items) {
      if (shape.$ref !== undefined) problems.push(...unknownToAmapi(item, shape.$ref, `${path}.${key}`));
      else if (shape.enum !== undefined && !shape.enum.includes(item as string)) problems.push(`${path}.${key} = ${String(item)}`);
    }
  }
  return problems;
}

describe('Policy proto3 JSON', () => {
  const sut = policy.Policy;

  it('writes the Android Management API field names', () => {
    const json = sut.toJSON(sut.fromJSON(document)) as Record<string, unknown>;
    expect(Object.keys(json)).toContain('crossProfilePolicies');
    expect(json.crossProfilePolicies).toEqual(document.crossProfilePolicies);
    const { duet, ...amapiPart } = json;
    expect(duet).toEqual(document.duet);
    expect(unknownToAmapi(amapiPart, 'Policy', 'Policy')).toEqual([]);
  });

  it('reads an AMAPI document and writes it back unchanged, 64-bit fields as numbers', () => {
    const written = sut.toJSON(sut.fromJSON(document));
    expect(written).toEqual({ ...document, version: 3, maximumTimeToLock: 300000 });
  });

  it('reads the 64-bit fields AMAPI writes as strings', () => {
    const read = sut.fromJSON(document);
    expect(read.version).toBe(3);
    expect(read.maximumTimeToLock).toBe(300_000);
  });

  it('blocks copy to personal when crossProfileCopyPaste is COPY_FROM_WORK_TO_PERSONAL_DISALLOWED', () => {
    const read = sut.fromJSON(document);
    expect(read.crossProfilePolicies?.crossProfileCopyPaste).toBe(policy.CrossProfileCopyPaste.COPY_FROM_WORK_TO_PERSONAL_DISALLOWED);
  });
});

describe('policy enums', () => {
  // Generated enum, AMAPI schema and property it mirrors.
  const mirrored: [string, Record<string, string | number>, string, string][] = [
    ['PasswordScope', policy.PasswordScope, 'PasswordRequirements', 'passwordScope'],
    ['PasswordQuality', policy.PasswordQuality, 'PasswordRequirements', 'passwordQuality'],
    ['RequirePasswordUnlock', policy.RequirePasswordUnlock, 'PasswordRequirements', 'requirePasswordUnlock'],
    ['UnifiedLockSettings', policy.UnifiedLockSettings, 'PasswordRequirements', 'unifiedLockSettings'],
    ['CameraAccess', policy.CameraAccess, 'Policy', 'cameraAccess'],
    ['CrossProfileCopyPaste', policy.CrossProfileCopyPaste, 'CrossProfilePolicies', 'crossProfileCopyPaste'],
    ['CrossProfileDataSharing', policy.CrossProfileDataSharing, 'CrossProfilePolicies', 'crossProfileDataSharing'],
    ['ShowWorkContactsInPersonalProfile', policy.ShowWorkContactsInPersonalProfile, 'CrossProfilePolicies', 'showWorkContactsInPersonalProfile'],
    ['EncryptionPolicy', policy.EncryptionPolicy, 'Policy', 'encryptionPolicy'],
    ['InstallType', policy.InstallType, 'ApplicationPolicy', 'installType'],
    ['BlockScope', policy.BlockScope, 'BlockAction', 'blockScope'],
    ['NonComplianceReason', policy.NonComplianceReason, 'NonComplianceDetail', 'nonComplianceReason'],
  ];

  it.each(mirrored)('%s values are AMAPI value names, in AMAPI order', (_, generated, schema, property) => {
    const names = Object.entries(generated)
      .filter(([, value]) => typeof value === 'number' && value >= 0)
      .sort(([, left], [, right]) => (left as number) - (right as number))
      .map(([name]) => name);
    const amapiNames = amapi.schemas[schema].properties[property].enum ?? [];
    expect(names).toEqual(amapiNames.slice(0, names.length));
  });
});
