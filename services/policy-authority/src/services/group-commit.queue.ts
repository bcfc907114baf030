// Group commit for one-at-a-time requests (docs/decisions/0010-per-handset-traffic.md): requests
// that arrive while earlier groups are being stored wait and are stored together as the next
// group, so a busy server pays a few statements per group instead of several per request, and a
// lone request is stored at once. A group holds requests that may share a statement (same run ...)
// and at most one per handset, so one handset's requests are stored in the order they came.

export interface GroupCommitSettings<Item, Result> {
  /** Requests per group at most. */
  readonly maxGroup: number;
  /** Groups being stored at once; the rest wait. */
  readonly maxInFlight: number;
  /** Whether `item` may be stored in the same group as `first`. */
  readonly sameGroup: (first: Item, item: Item) => boolean;
  /** The handset of a request: one per handset in a group. */
  readonly handsetOf: (item: Item) => number;
  /** Stores a group; answers each request (an Error for one refused alone), or throws for all. */
  readonly commit: (group: readonly Item[]) => Promise<readonly (Result | Error)[]>;
}

interface Waiting<Item, Result> {
  readonly item: Item;
  readonly resolve: (result: Result) => void;
  readonly reject: (error: unknown) => void;
}

export class GroupCommitQueue<Item, Result> {
  private queue: Waiting<Item, Result>[] = [];
  private inFlight = 0;

  constructor(private readonly settings: GroupCommitSettings<Item, Result>) {}

  /** Stores the request with the next group; its answer once the group is stored. */
  submit(item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.inFlight < this.settings.maxInFlight && this.queue.length > 0) {
      const group = this.takeGroup();
      this.inFlight++;
      void this.commit(group).finally(() => {
        this.inFlight--;
        this.drain();
      });
    }
  }

  // The oldest waiting request's group: up to maxGroup requests that may join it, the first of each handset.
  private takeGroup(): Waiting<Item, Result>[] {
    const first = this.queue[0].item;
    const group: Waiting<Item, Result>[] = [];
    const rest: Waiting<Item, Result>[] = [];
    const handsets = new Set<number>();
    for (const waiting of this.queue) {
      const handset = this.settings.handsetOf(waiting.item);
      if (group.length < this.settings.maxGroup && this.settings.sameGroup(first, waiting.item) && !handsets.has(handset)) {
        handsets.add(handset);
        group.push(waiting);
      } else {
        rest.push(waiting);
      }
    }
    this.queue = rest;
    return group;
  }

  private async commit(group: readonly Waiting<Item, Result>[]): Promise<void> {
    try {
      const results = await this.settings.commit(group.map((waiting) => waiting.item));
      results.forEach((result, index) => (result instanceof Error ? group[index].reject(result) : group[index].resolve(result)));
    } catch (error) {
      for (const waiting of group) waiting.reject(error);
    }
  }
}
