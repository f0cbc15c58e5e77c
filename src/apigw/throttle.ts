/** Token buckets per stage and route: `rate` tokens a second up to `burst`. */
export class Throttle {
  private readonly buckets = new Map<string, { tokens: number; at: number; rate: number; burst: number }>();

  /** Takes a token; false when the bucket is empty (the request gets 429). */
  take(key: string, rate: number, burst: number, now = Date.now()): boolean {
    let b = this.buckets.get(key);
    if (!b || b.rate !== rate || b.burst !== burst) {
      b = { tokens: burst, at: now, rate, burst };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
