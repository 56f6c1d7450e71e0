import { Injectable } from '@nestjs/common';
import type { ConversationType } from './conversation.entity.js';
import { InboxService } from './inbox.service.js';
import { MessageStore } from './message.store.js';

/** Where to count a member's unread messages of a conversation from. */
export interface UnreadSince {
  userId: string;
  conversationId: string;
  /** Only messages after this seq (and after the member's read watermark) count. */
  afterSeq: number;
}

/** A member's unread messages of one sender (a user, or an application with no user). */
export interface UnreadOfSender {
  senderId: string | null;
  appId: string | null;
  count: number;
  /** The seq of the sender's latest unread message. */
  lastSeq: number;
}

/** What one member has not read of one conversation, and whether they muted it. */
export interface UnreadDigest {
  userId: string;
  conversationId: string;
  type: ConversationType;
  title: string | null;
  /** Muted for notifications right now. */
  muted: boolean;
  /** By sender, in the order of their latest message; the member's own messages are not among them. */
  senders: UnreadOfSender[];
}

/** A message as a preview shows it. */
export interface PreviewMessage {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string | null;
  body: string;
  attachmentCount: number;
}

/**
 * What messaging tells other modules about members' unread messages: who wrote what a member has
 * not read since a point, whether the member muted the conversation, and the messages to preview.
 * Many members and conversations at once, one statement each.
 */
@Injectable()
export class ConversationDigest {
  constructor(
    private readonly inbox: InboxService,
    private readonly messages: MessageStore,
  ) {}

  /** Members' unread messages since each point, by sender; members no more (or never) are left out. */
  async unreadSince(points: UnreadSince[]): Promise<UnreadDigest[]> {
    return (await this.inbox.unreadSummaries(points)).map((s) => ({
      userId: s.userId,
      conversationId: s.ref.id,
      type: s.ref.type,
      title: s.title,
      muted: s.muted,
      senders: s.senders.map(({ senderId, appId, count, lastSeq }) => ({ senderId, appId, count, lastSeq })),
    }));
  }

  /** The messages at these (conversation, seq) positions; absent ones are left out. */
  async messagesAt(positions: { conversationId: string; seq: number }[]): Promise<PreviewMessage[]> {
    return (await this.messages.atSeqs(positions)).map((m) => ({
      id: m.id,
      conversationId: m.conversationId,
      seq: m.seq,
      senderId: m.senderId,
      body: m.body,
      attachmentCount: m.attachments.length,
    }));
  }
}
