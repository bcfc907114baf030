// What the benchmarks share: where the built `duet` command is, and their flags. Every flag is
// `--name value` with a default, except those whose default is a boolean (`--name` alone) or
// undefined (optional, no default).
const { join } = require('node:path');
const { parseArgs } = require('node:util');

const REPOSITORY_ROOT = join(__dirname, '..');
const DUET_BIN = join(REPOSITORY_ROOT, 'apps', 'duet', 'bin', 'duet.js');

/** The command line's values, given each flag's default. */
function benchFlags(defaults) {
  const options = Object.fromEntries(
    Object.entries(defaults).map(([name, value]) =>
      typeof value === 'boolean'
        ? [name, { type: 'boolean', default: value }]
        : [name, value === undefined ? { type: 'string' } : { type: 'string', default: String(value) }],
    ),
  );
  return parseArgs({ options }).values;
}

module.exports = { REPOSITORY_ROOT, DUET_BIN, benchFlags };
