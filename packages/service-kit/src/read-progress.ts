// Waiting for a reader of a topic to get somewhere: a consumer's handler calls `advanced()` after
// each delivery, and whoever waits for a condition on what it read is woken to check again (or
// every POLL_MS at the latest, for conditions that turn true without a delivery, such as a deadline).

const POLL_MS = 100;

export class ReadProgress {
  private readonly waiters = new Set<() => void>();

  /** Resolves once `done()` holds, or false when it still does not by `deadline` (epoch ms). */
  async until(done: () => boolean, deadline: number, now: () => number = Date.now): Promise<boolean> {
    while (!done()) {
      if (now() >= deadline) return false;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, POLL_MS);
        this.waiters.add(wake);
      });
    }
    return true;
  }

  /** The reader took in more: every waiter checks its condition again. */
  advanced(): void {
    for (const wake of [...this.waiters]) wake();
  }
}
