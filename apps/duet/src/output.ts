import { SingleBar, Presets } from 'cli-progress';

/** Where a command writes: a person's terminal, or one JSON line for machines (`--json`). */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly stdout: NodeJS.WriteStream = process.stdout,
    private readonly stderr: NodeJS.WriteStream = process.stderr,
  ) {}

  /** Human text on stdout; suppressed with --json so the last line stays machine-readable. */
  line(text = ''): void {
    if (!this.json) this.stdout.write(`${text}\n`);
  }

  /** The one JSON object a --json run ends with. */
  result(value: unknown): void {
    if (this.json) this.stdout.write(`${JSON.stringify(value)}\n`);
  }

  error(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  /** A progress bar on a TTY (never with --json); a no-op elsewhere. */
  progress(total: number, label: string): { update(done: number, payload?: Record<string, string | number>): void; stop(): void } {
    if (this.json || !this.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
    const bar = new SingleBar(
      { format: `${label} [{bar}] {percentage}% | tick {value}/{total} | {rate} | ETA {eta_formatted}`, stream: this.stderr, hideCursor: true, etaBuffer: 50 },
      Presets.shades_classic,
    );
    bar.start(total, 0, { rate: '' });
    return { update: (done, payload) => bar.update(done, payload), stop: () => bar.stop() };
  }
}
