#!/usr/bin/env node
// Entry of the `duet` command. The TypeScript is compiled by `npm run build` (run by `npm ci`).
let main;
try {
  ({ main } = require('../dist/main.js'));
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND') {
    process.stderr.write('duet: not built yet; run `npm run build` at the repository root\n');
    process.exit(2);
  }
  throw error;
}
main(process.argv).then((code) => {
  process.exitCode = code;
});
