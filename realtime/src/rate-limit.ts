/**
 * A token bucket: `ratePerSecond` sustained, bursts of `burst`. One per socket, so a client that
 * floods events slows only itself.
 */
export function createTokenBucket(ratePerSecond: number, burst: number, now: () => number = Date.now) {
  let tokens = burst;
  let refilledAt = now();
  return {
    /** Takes one token; false when the bucket is empty. */
    take(): boolean {
      const at = now();
      tokens = Math.min(burst, tokens + ((at - refilledAt) / 1000) * ratePerSecond);
      refilledAt = at;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
export type TokenBucket = ReturnType<typeof createTokenBucket>;
