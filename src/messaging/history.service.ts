import { Injectable } from '@nestjs/common';
import { AppError } from '../common/errors/app-error.js';
import { MAX_PAGE_SIZE } from '../common/pagination/cursor.js';
import { ConversationAccess } from './conversation-access.service.js';
import { ConversationsService } from './conversations.service.js';
import type { SyncDto, SyncResultDto } from './dto/conversation.dto.js';
import { MessageDto } from './dto/message.dto.js';
import type { Message } from './message.entity.js';
import { MembershipRepository } from './membership.repository.js';
import { MessageStore, type SeqRange } from './message.store.js';
import { isUUID } from 'class-validator';
import { decodeSyncToken, encodeSyncToken, type SyncSnapshot } from './sync-token.js';

export interface MessagePage {
  items: MessageDto[];
  hasMore: boolean;
}

/** Reading what was stored: history by seq range, direct history with one user, and sync after being away. */
@Injectable()
export class HistoryService {
  constructor(
    private readonly access: ConversationAccess,
    private readonly conversations: ConversationsService,
    private readonly membership: MembershipRepository,
    private readonly store: MessageStore,
  ) {}

  /** A slice of a conversation by seq, ascending. With no bound, the newest `limit` messages. */
  async range(userId: string, conversationId: string, range: SeqRange): Promise<MessagePage> {
    await this.access.require(userId, conversationId, 'read');
    return this.rangeOf(conversationId, range);
  }

  /** Direct history with one user (empty when the two never talked). */
  async withUser(userId: string, otherId: string, range: SeqRange): Promise<MessagePage> {
    const conversation = await this.conversations.direct(userId, otherId, false);
    if (!conversation) return { items: [], hasMore: false };
    return this.rangeOf(conversation.id, range);
  }

  /** Checks a sync request (cursors: conversation UUID → seq ≥ 0; since: a token of ours) and runs it. */
  syncFor(userId: string, dto: SyncDto): Promise<SyncResultDto> {
    const cursors: Record<string, number> = {};
    const bad: string[] = [];
    const entries = Object.entries(dto.cursors ?? {});
    if (entries.length > 10_000) throw AppError.validation('cursors: at most 10000 conversations');
    for (const [id, seq] of entries) {
      if (!isUUID(id) || typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) bad.push(id);
      else cursors[id.toLowerCase()] = seq;
    }
    if (bad.length > 0) {
      throw AppError.validation('cursors must map conversation ids to non-negative integer seqs', {
        fields: bad
          .slice(0, 20)
          .map((id) => ({ field: `cursors.${id}`, problems: ['conversation id → seq'] })),
      });
    }
    const since = dto.since === undefined ? null : decodeSyncToken(dto.since);
    return this.sync(userId, cursors, dto.limit ?? MAX_PAGE_SIZE, since);
  }

  /**
   * Everything after the client's cursors, for every conversation of the caller that has something
   * new, and with `since` what changed in what it held: two statements whatever the number of
   * conversations, each an index range scan per conversation.
   *
   * The token returned is the snapshot of the first statement, taken before anything else is read:
   * whatever it sees committed, the later reads see too; whatever it does not see, the next sync
   * returns. A change can come twice (harmless: it is the current state), never not at all.
   */
  async sync(
    userId: string,
    cursors: Record<string, number>,
    limit: number,
    since: SyncSnapshot | null = null,
  ): Promise<SyncResultDto> {
    const { snapshot, conversations: mine, departed } = await this.membership.syncState(userId, since);
    const stale = mine.filter((c) => c.lastSeq > (cursors[c.id] ?? 0));
    const held = since
      ? mine
          .filter((c) => (cursors[c.id] ?? 0) > 0)
          .map((c) => ({ conversationId: c.id, uptoSeq: cursors[c.id]! }))
      : [];
    const { fresh: rows, changed } = await this.store.syncRead(
      stale.map((c) => ({ conversationId: c.id, afterSeq: cursors[c.id] ?? 0 })),
      limit + 1,
      held,
      since,
    );
    const byConversation = new Map<string, Message[]>();
    for (const row of rows) {
      const list = byConversation.get(row.conversationId) ?? [];
      list.push(row);
      byConversation.set(row.conversationId, list);
    }
    return {
      conversations: stale.map((c) => {
        const list = (byConversation.get(c.id) ?? []).sort((a, b) => a.seq - b.seq);
        return {
          conversationId: c.id,
          messages: list.slice(0, limit).map((m) => MessageDto.from(m)),
          hasMore: list.length > limit,
        };
      }),
      changes: { updated: changed.map((m) => MessageDto.from(m)), left: departed },
      syncToken: encodeSyncToken(snapshot),
    };
  }

  private async rangeOf(conversationId: string, range: SeqRange): Promise<MessagePage> {
    const rows = await this.store.range(conversationId, { ...range, limit: range.limit + 1 });
    const hasMore = rows.length > range.limit;
    const page = rows.slice(0, range.limit);
    if (range.afterSeq === undefined) page.reverse();
    return { items: page.map((m) => MessageDto.from(m)), hasMore };
  }
}
