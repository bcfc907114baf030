// Per-client request budgets (token buckets): each client may make `perSecond` requests a second on
// average and `burst` at once. A client over its budget is told how long until its next request
// would be accepted, so it can back off instead of retrying at once.

const MAX_CLIENTS = 10_000; // buckets kept; the longest unseen client is forgotten first (a full bucket)

interface Bucket {
  tokens: number;
  at: number; // ms
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    readonly perSecond: number,
    readonly burst: number = perSecond,
  ) {
    if (!(perSecond > 0) || !(burst >= 1)) throw new Error(`rate limit: perSecond must be > 0 and burst ≥ 1 (got ${perSecond}, ${burst})`);
  }

  /** 0 when `client` may make a request at `now` (ms), else the milliseconds until it may. */
  take(client: string, now: number): number {
    let bucket = this.buckets.get(client);
    if (bucket === undefined) {
      if (this.buckets.size >= MAX_CLIENTS) this.buckets.delete(this.buckets.keys().next().value!);
      bucket = { tokens: this.burst, at: now };
    } else {
      this.buckets.delete(client); // re-inserted below: the map stays in least-recently-seen order
      bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) * this.perSecond) / 1000);
      bucket.at = now;
    }
    this.buckets.set(client, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) * 1000) / this.perSecond);
  }
}
