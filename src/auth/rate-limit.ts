import type { Clock } from '../platform/clock.js';
import type { RateLimit, RateLimits } from '../platform/config.js';
import { AppError } from '../platform/errors.js';

/**
 * Defaults: generous for the operator's own keys (its apps call in bulk), tighter for partners,
 * and strict for code look-ups (each guess costs a token of a small bucket).
 */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  operator: { perSecond: 1000, burst: 2000 },
  partner: { perSecond: 50, burst: 100 },
  lookup: { perSecond: 10 / 60, burst: 20 },
};

interface Bucket {
  tokens: number;
  at: number;
}

const MAX_BUCKETS = 100_000;

/**
 * Token buckets per key, per node (each node of a PostgreSQL installation counts on its own, so
 * the effective limit is the per-node limit times the nodes behind the balancer). Time comes
 * from the injected clock.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  readonly limits: RateLimits;

  constructor(
    private readonly clock: Clock,
    limits: Partial<RateLimits> = {},
  ) {
    this.limits = { ...DEFAULT_RATE_LIMITS, ...limits };
  }

  /** Takes one token from the key's bucket, or throws 429 rate_limited with Retry-After. */
  take(bucketKey: string, limit: RateLimit, what: string): void {
    if (limit.perSecond <= 0) return;
    const now = this.clock.now();
    let bucket = this.buckets.get(bucketKey);
    if (!bucket) {
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.clear();
      bucket = { tokens: limit.burst, at: now };
      this.buckets.set(bucketKey, bucket);
    } else {
      const elapsed = Math.max(0, now - bucket.at) / 1000;
      bucket.tokens = Math.min(limit.burst, bucket.tokens + elapsed * limit.perSecond);
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return;
    }
    const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond));
    throw new AppError(429, 'rate_limited', `Too many ${what} for this API key; retry after ${retryAfter} s`, undefined, {
      'retry-after': String(retryAfter),
    });
  }
}
