import { Injectable } from '@nestjs/common';
import { encodeCursor, type Page, toPage } from '../common/pagination/cursor.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { AppError } from '../common/errors/app-error.js';
import { ConversationAccess } from './conversation-access.service.js';
import type { ConversationRef } from './conversations.repository.js';
import { InboxRepository, type InboxRow, type UnreadQuery, type UnreadSummary } from './inbox.repository.js';
import { MembershipRepository } from './membership.repository.js';
import type { ConversationDto } from './dto/conversation.dto.js';
import { MessageDto } from './dto/message.dto.js';
import { messageFromJson } from './message.store.js';

/** The caller's conversation list: most recently active first, with last message and unread count. */
@Injectable()
export class InboxService {
  constructor(
    private readonly inbox: InboxRepository,
    private readonly membership: MembershipRepository,
    private readonly access: ConversationAccess,
    private readonly users: UsersService,
  ) {}

  /**
   * Members' unread messages after a seq (and after their read watermark), counted by sender, with
   * the conversation and whether the member muted it; for many pairs at once. Non-members are left out.
   */
  unreadSummaries(pairs: UnreadQuery[]): Promise<UnreadSummary[]> {
    return this.inbox.unreadSummaries(pairs);
  }

  /** Mutes the caller's notifications of a conversation (`until` null: until unmuted). */
  async mute(userId: string, conversationId: string, until: Date | null): Promise<void> {
    if (until && until.getTime() <= Date.now()) {
      throw AppError.validation('until must be in the future', {
        fields: [{ field: 'until', problems: ['must be in the future'] }],
      });
    }
    if (!(await this.membership.setMuted(userId, conversationId, true, until)))
      throw AppError.notFound('Conversation');
  }

  async unmute(userId: string, conversationId: string): Promise<void> {
    if (!(await this.membership.setMuted(userId, conversationId, false, null)))
      throw AppError.notFound('Conversation');
  }

  async list(userId: string, limit: number, cursor?: string): Promise<Page<ConversationDto>> {
    const rows = await this.inbox.inbox(userId, limit + 1, cursor);
    const peers = await this.peersOf(rows.map((row) => ({ userId, row })));
    return toPage(
      rows,
      limit,
      (row) => this.view(userId, row, peers),
      (r) => encodeCursor([r.lastActivityAt.toISOString(), r.ref.id]),
    );
  }

  /**
   * Conversations as these members see them (title, watermark, unread), by conversation and user;
   * pairs whose user is not a member are left out. One query for any number of pairs.
   */
  async views(
    pairs: { conversationId: string; userId: string }[],
  ): Promise<Map<string, Map<string, ConversationDto>>> {
    const rows = await this.inbox.inboxRowsOf(pairs);
    const peers = await this.peersOf(rows.map((row) => ({ userId: row.userId, row })));
    const out = new Map<string, Map<string, ConversationDto>>();
    for (const row of rows) {
      const byUser = out.get(row.ref.id) ?? new Map<string, ConversationDto>();
      byUser.set(row.userId, this.view(row.userId, row, peers));
      out.set(row.ref.id, byUser);
    }
    return out;
  }

  /** The users whose names title these conversations (the peers of direct conversations). */
  private async peersOf(seen: { userId: string; row: InboxRow }[]): Promise<Map<string, User>> {
    const ids = seen.flatMap(({ userId, row }) => {
      const peerId = this.peerOf(row.ref, userId);
      return peerId ? [peerId] : [];
    });
    return new Map((await this.users.findMany([...new Set(ids)])).map((u) => [u.id, u]));
  }

  private peerOf(ref: ConversationRef, userId: string): string | undefined {
    return this.access.policyOf(ref.type).peerOf?.(ref, userId);
  }

  private view(userId: string, row: InboxRow, peers: Map<string, User>): ConversationDto {
    const { ref, title, lastSeq, readSeq, lastMessage } = row;
    const peerId = this.peerOf(ref, userId);
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
      // Sending moves the sender's read watermark, so what lies past it is other people's.
      unread: Math.max(0, lastSeq - readSeq),
      lastMessage: lastMessage ? MessageDto.from(messageFromJson(lastMessage)) : null,
    };
  }
}
