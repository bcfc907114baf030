#!/usr/bin/env node
// Writes the FileDescriptorSets server reflection serves (src/proto-files.ts DESCRIPTOR_SETS): every
// file of proto/, and grpc.health.v1 from grpc-health-check's own health.proto, compiled by buf.
const { spawnSync } = require('node:child_process');
const { mkdirSync } = require('node:fs');
const { dirname, join } = require('node:path');

const out = join(__dirname, '..', 'descriptors');
mkdirSync(out, { recursive: true });
const inputs = {
  'duet.binpb': join(__dirname, '..', '..', '..', 'proto'),
  'grpc-health.binpb': join(dirname(require.resolve('grpc-health-check/package.json')), 'proto'),
};
for (const [file, input] of Object.entries(inputs)) {
  const built = spawnSync('buf', ['build', input, '--as-file-descriptor-set', '-o', join(out, file)], { stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}
