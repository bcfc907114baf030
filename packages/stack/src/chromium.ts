// Chromium for the dashboard's browser tests and screenshots: Debian's `chromium` package, driven
// by playwright-core through `executablePath`, so no browser is ever downloaded (docs/decisions/0006).
import { existsSync } from 'node:fs';
import { aptInstall, defaultLog, type StackLog } from './process';

export interface ChromiumInstallation {
  readonly executablePath: string;
  /** True when this call ran apt-get. */
  readonly installed: boolean;
  readonly durationMs: number;
}

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser']; // Debian, Ubuntu's name

let installing: Promise<ChromiumInstallation> | undefined;

/** $DUET_CHROMIUM when set, else the first Chromium found at Debian's paths; undefined when none. */
export function findChromium(): string | undefined {
  const fromEnv = process.env.DUET_CHROMIUM;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  return CANDIDATES.find((path) => existsSync(path));
}

/**
 * Installs Debian's `chromium` package with apt when no Chromium is installed (apt-get update
 * first; every line apt prints goes to `log`). Needs root; otherwise the error says what to run.
 */
export function ensureChromiumInstalled(options: { log?: StackLog; timeoutMs?: number } = {}): Promise<ChromiumInstallation> {
  const started = performance.now();
  const found = findChromium();
  if (found) return Promise.resolve({ executablePath: found, installed: false, durationMs: performance.now() - started });
  installing ??= (async () => {
    const log = options.log ?? defaultLog;
    if (process.env.DUET_CHROMIUM) throw new Error(`DUET_CHROMIUM=${process.env.DUET_CHROMIUM} does not exist`);
    if (process.getuid?.() !== 0)
      throw new Error('Chromium is not installed (no /usr/bin/chromium) and installing it needs root: sudo apt-get install -y chromium');
    log('Chromium not found');
    const executablePath = await aptInstall('chromium', {
      find: findChromium,
      appears: '/usr/bin/chromium',
      missingHint: 'install Chromium and set DUET_CHROMIUM to its executable',
      log,
      timeoutMs: options.timeoutMs,
    });
    const durationMs = performance.now() - started;
    log(`Chromium installed (${executablePath}) in ${(durationMs / 1000).toFixed(1)} s`);
    return { executablePath, installed: true, durationMs };
  })();
  installing.catch(() => (installing = undefined));
  return installing;
}
