// Headless Chromium for browser tests: Debian's package (installed with apt when missing, like the
// PostgreSQL server), driven by playwright-core through executablePath; no browser download.
import { ensureChromiumInstalled } from '@duet/stack';
import { chromium, type Browser } from 'playwright-core';

/** Wall milliseconds apt may take to install Chromium on a fresh machine. */
export const CHROMIUM_INSTALL_TIMEOUT_MS = 900_000;

export async function launchChromium(): Promise<Browser> {
  const { executablePath } = await ensureChromiumInstalled({ timeoutMs: CHROMIUM_INSTALL_TIMEOUT_MS });
  // Chromium's sandbox refuses to start as root (CI containers); elsewhere it stays on.
  return chromium.launch({ executablePath, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
}
