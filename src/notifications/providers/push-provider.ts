import type { PushKind } from '../push-subscription.entity.js';

/** What every provider carries (DESIGN: Web Push payload; APNs and FCM carry the same fields). */
export interface PushContent {
  type: 'message';
  /** The delivery job's id: the same on every retry, for receivers to de-duplicate on. */
  jobId: string;
  conversationId: string;
  /** The latest message of the notification's window. */
  messageId: string;
  seq: number;
  /** How many messages the notification covers. */
  count: number;
  title: string;
  body: string;
}

/** Where a push goes: the subscription's kind and address (and Web Push keys). */
export interface PushTarget {
  kind: PushKind;
  address: string;
  p256dh: string | null;
  auth: string | null;
}

/**
 * How an attempt ended: `delivered` (accepted by the provider), `gone` (the provider no longer
 * knows the address: delete the subscription) or `rejected` (refused for good; not retried).
 * A failure worth retrying is thrown as {@link RetryableError}.
 */
export type PushOutcome = 'delivered' | 'gone' | 'rejected';

export class RetryableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryableError';
  }
}

export interface PushProvider {
  readonly kind: PushKind;
  /** False when the provider is not configured: its subscriptions are kept but not sent to. */
  readonly configured: boolean;
  send(target: PushTarget, content: PushContent): Promise<PushOutcome>;
}

/** How long any provider request may take. */
export const PROVIDER_TIMEOUT_MS = 10_000;

/** The outcome of an HTTP answer by status: 2xx delivered, 404/410 gone, 408/429/5xx retried, other 4xx rejected. */
export function outcomeOfStatus(status: number, what: string): PushOutcome {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 404 || status === 410) return 'gone';
  if (status === 408 || status === 429 || status >= 500)
    throw new RetryableError(`${what} answered ${status}`);
  return 'rejected';
}

/**
 * One POST to a provider: never following a redirect (the server talks only to the address it
 * was given), bounded by {@link PROVIDER_TIMEOUT_MS}; a network failure is worth retrying.
 */
export async function postTo(
  url: string,
  init: { headers: Record<string, string>; body: string | Buffer },
  what: string,
): Promise<Response> {
  try {
    return await fetch(url, {
      method: 'POST',
      ...init,
      redirect: 'manual',
      signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
    });
  } catch (error) {
    throw new RetryableError(`${what} unreachable: ${(error as Error).message}`);
  }
}
