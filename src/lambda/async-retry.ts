import type { StoredEventInvokeConfig } from '../state/lambda-metadata.ts';

/** Lambda's defaults for asynchronous invocation: 2 retries, events kept 6 hours. */
export const DEFAULT_RETRY_ATTEMPTS = 2;
export const DEFAULT_MAX_EVENT_AGE_SECONDS = 21_600;

export type RetryDecision = { retryInMs: number } | { drop: 'retries-exhausted' | 'too-old' };

/**
 * What becomes of an event whose `attempt`-th try (0: the first) failed: retried after `base` then `2 * base` ms
 * (AWS: 1 then 2 minutes), up to MaximumRetryAttempts; dropped once it would be older than MaximumEventAgeInSeconds
 * when retried.
 */
export function retryDecision(
  attempt: number,
  config: StoredEventInvokeConfig | undefined,
  ageMs: number,
  baseMs: number,
): RetryDecision {
  if (attempt >= (config?.maximumRetryAttempts ?? DEFAULT_RETRY_ATTEMPTS)) return { drop: 'retries-exhausted' };
  const retryInMs = baseMs * 2 ** attempt;
  if (ageMs + retryInMs > (config?.maximumEventAgeInSeconds ?? DEFAULT_MAX_EVENT_AGE_SECONDS) * 1000)
    return { drop: 'too-old' };
  return { retryInMs };
}
