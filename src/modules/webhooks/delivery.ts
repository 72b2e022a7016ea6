/**
 * One delivery attempt (Standard Webhooks): the event JSON POSTed through the SSRF-safe connector,
 * signed with every live secret of the endpoint, and the retry schedule. No SQL here.
 */
import { Webhook } from 'standardwebhooks';
import { OutboundError, type SafeFetchOptions, safeRequest } from '../../lib/safe-fetch.js';

export type DeliveryPolicy = {
  /** An answer must come within this (API.md: 15 s). */
  timeoutMs: number;
  /** Retries stop this long after the delivery was created (24 h); the delivery is then `failed`. */
  retryForMs: number;
  /** Delay before retry n: min(baseMs · 2^(n-1), maxMs), then jittered to 50–100 % of that. */
  backoff: { baseMs: number; maxMs: number };
  /** An endpoint whose deliveries all failed for this long is disabled (3 days). */
  disableAfterMs: number;
};

export const DEFAULT_POLICY: DeliveryPolicy = {
  timeoutMs: 15_000,
  retryForMs: 24 * 3600_000,
  backoff: { baseMs: 10_000, maxMs: 2 * 3600_000 },
  disableAfterMs: 3 * 24 * 3600_000,
};

/** The `webhook-signature` header: one `v1,<base64>` per secret, space-separated (during a rotation, two). */
export function signatureHeader(secrets: string[], eventId: string, timestamp: Date, body: string): string {
  return secrets.map((secret) => new Webhook(secret).sign(eventId, timestamp, body)).join(' ');
}

export type AttemptResult = { ok: boolean; status: number | null; error: string | null };

/** POSTs the body; any 2xx within the timeout succeeds. Never throws. */
export async function attempt(
  target: { url: string; secrets: string[] },
  event: { id: string; body: string },
  now: Date,
  policy: DeliveryPolicy,
  connector: SafeFetchOptions,
): Promise<AttemptResult> {
  try {
    const res = await safeRequest(
      {
        method: 'POST',
        url: target.url,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Syllabus-Webhooks/1.0',
          'webhook-id': event.id,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': signatureHeader(target.secrets, event.id, now, event.body),
        },
        body: event.body,
        timeoutMs: policy.timeoutMs,
        maxResponseBytes: 64 * 1024,
      },
      connector,
    );
    const ok = res.status >= 200 && res.status <= 299;
    return { ok, status: res.status, error: ok ? null : `HTTP ${res.status}` };
  } catch (err) {
    if (err instanceof OutboundError) return { ok: false, status: null, error: err.message };
    return { ok: false, status: null, error: 'The request failed.' };
  }
}

/** When attempt `attempts` (1-based) failed at `now`: the next try, or null when retries are over. */
export function nextAttemptAt(
  attempts: number,
  createdAt: Date,
  now: Date,
  policy: DeliveryPolicy,
  random: () => number = Math.random,
): Date | null {
  const end = createdAt.getTime() + policy.retryForMs;
  if (now.getTime() >= end) return null;
  const ceiling = Math.min(policy.backoff.baseMs * 2 ** Math.min(attempts - 1, 30), policy.backoff.maxMs);
  const delay = ceiling * (0.5 + random() / 2);
  // The last try happens at the end of the window, not after it.
  return new Date(Math.min(now.getTime() + delay, end));
}
