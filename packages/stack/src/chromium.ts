// Chromium for the dashboard's browser tests and screenshots: Debian's `chromium` package, driven
// by playwright-core through `executablePath`, so no browser is ever downloaded (docs/decisions/0006).
import { existsSync } from 'node:fs';
import { ensureDebianPackage, type StackLog } from './process';

export interface ChromiumInstallation {
  readonly executablePath: string;
  /** True when this call ran apt-get. */
  readonly installed: boolean;
  readonly durationMs: number;
}

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser']; // Debian, Ubuntu's name

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
export async function ensureChromiumInstalled(options: { log?: StackLog; timeoutMs?: number } = {}): Promise<ChromiumInstallation> {
  if (process.env.DUET_CHROMIUM && !findChromium()) throw new Error(`DUET_CHROMIUM=${process.env.DUET_CHROMIUM} does not exist`);
  const { path, installed, durationMs } = await ensureDebianPackage(
    {
      label: 'Chromium',
      packageName: 'chromium',
      find: findChromium,
      appears: '/usr/bin/chromium',
      missingHint: 'install Chromium and set DUET_CHROMIUM to its executable',
    },
    options,
  );
  return { executablePath: path, installed, durationMs };
}
