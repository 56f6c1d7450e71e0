import { Injectable } from '@nestjs/common';
import { encodeCursor, type Page, toPage } from '../common/pagination/cursor.js';
import { UsersService } from '../users/users.service.js';
import { peerOf } from './conversation-access.service.js';
import { AppError } from '../common/errors/app-error.js';
import { ConversationsRepository, type UnreadQuery, type UnreadSummary } from './conversations.repository.js';
import type { ConversationDto } from './dto/conversation.dto.js';
import { MessageDto } from './dto/message.dto.js';
import { messageFromJson } from './message.store.js';

/** The caller's conversation list: most recently active first, with last message and unread count. */
@Injectable()
export class InboxService {
  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly users: UsersService,
  ) {}

  /**
   * Members' unread messages after a seq (and after their read watermark), counted by sender, with
   * the conversation and whether the member muted it; for many pairs at once. Non-members are left out.
   */
  unreadSummaries(pairs: UnreadQuery[]): Promise<UnreadSummary[]> {
    return this.conversations.unreadSummaries(pairs);
  }

  /** Mutes the caller's notifications of a conversation (`until` null: until unmuted). */
  async mute(userId: string, conversationId: string, until: Date | null): Promise<void> {
    if (until && until.getTime() <= Date.now()) {
      throw AppError.validation('until must be in the future', {
        fields: [{ field: 'until', problems: ['must be in the future'] }],
      });
    }
    if (!(await this.conversations.setMuted(userId, conversationId, true, until)))
      throw AppError.notFound('Conversation');
  }

  async unmute(userId: string, conversationId: string): Promise<void> {
    if (!(await this.conversations.setMuted(userId, conversationId, false, null)))
      throw AppError.notFound('Conversation');
  }

  async list(userId: string, limit: number, cursor?: string): Promise<Page<ConversationDto>> {
    const rows = await this.conversations.inbox(userId, limit + 1, cursor);
    const peerIds = rows.filter((r) => r.ref.type === 'direct').map((r) => peerOf(r.ref.pairKey!, userId));
    const peers = new Map((await this.users.findMany(peerIds)).map((u) => [u.id, u]));
    return toPage(
      rows,
      limit,
      ({ ref, title, lastSeq, readSeq, lastMessage }) => {
        const peerId = ref.type === 'direct' ? peerOf(ref.pairKey!, userId) : undefined;
        return {
          id: ref.id,
          type: ref.type,
          title: peerId ? (peers.get(peerId)?.displayName ?? null) : title,
          ...(peerId ? { peerId } : {}),
          ...(ref.groupId ? { groupId: ref.groupId } : {}),
          ...(ref.orgUnitId ? { orgUnitId: ref.orgUnitId } : {}),
          ...(ref.appId ? { appId: ref.appId } : {}),
          lastSeq,
          readSeq,
          unread: Math.max(0, lastSeq - readSeq),
          lastMessage: lastMessage ? MessageDto.from(messageFromJson(lastMessage)) : null,
        };
      },
      (r) => encodeCursor([r.lastActivityAt.toISOString(), r.ref.id]),
    );
  }
}
