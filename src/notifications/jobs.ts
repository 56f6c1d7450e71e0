import type { PushContent } from './providers/push-provider.js';

/** A `notify` job: tell this user about this conversation once its window closes. */
export interface NotifyJob {
  userId: string;
  conversationId: string;
}

/** A notification as decided, before a delivery job gives it its id. */
export type Notification = Omit<PushContent, 'jobId'>;

/** A `push` job: one notification to one subscription. */
export interface PushJob {
  subscriptionId: string;
  /** Whose notification it is (the subscription may change hands before it is sent). */
  userId: string;
  notification: Notification;
}

/** A `webhook` job: one notification to the webhook. */
export interface WebhookJob {
  userId: string;
  notification: Notification;
}
