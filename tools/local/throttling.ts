/**
 * API Gateway's request throttling: a token bucket per method, `burstLimit` tokens when full, refilled at
 * `rateLimit` tokens per second; a request that finds the bucket empty is answered 429. (The account-level
 * limit across all APIs and usage plans are not emulated.)
 *
 * Fifteen lines of our own rather than a rate-limiting package: the semantics must be exactly API Gateway's
 * (rate and burst as configured, no queueing, no sliding window) and the clock injectable for tests.
 */
import type { MethodThrottle } from "./rest-api";

/** A token bucket; `now` returns milliseconds. */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly throttle: MethodThrottle,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = throttle.burstLimit;
    this.updatedAt = now();
  }

  /** Takes one token; false when the bucket is empty (the request is throttled). */
  take(): boolean {
    const now = this.now();
    const refill = ((now - this.updatedAt) / 1000) * this.throttle.rateLimit;
    this.tokens = Math.min(this.throttle.burstLimit, this.tokens + refill);
    this.updatedAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * One bucket per method key ("/users POST"), created on first use with the method's throttle, and again, full,
 * when the method's limits change (a reload of `npm start -- --watch`), as a new deployment of the stage does.
 */
export class MethodThrottling {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly now?: () => number) {}

  /** False when the request must be answered 429; always true for an unthrottled method. */
  allow(methodKey: string, throttle: MethodThrottle | undefined): boolean {
    if (!throttle) return true;
    let bucket = this.buckets.get(methodKey);
    if (!bucket || bucket.throttle.rateLimit !== throttle.rateLimit || bucket.throttle.burstLimit !== throttle.burstLimit) {
      bucket = new TokenBucket(throttle, this.now);
      this.buckets.set(methodKey, bucket);
    }
    return bucket.take();
  }
}
