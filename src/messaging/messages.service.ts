import { Injectable, Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { AppConfig } from '../common/config/app-config.js';
import { loggable } from '../common/errors/all-exceptions.filter.js';
import { AppError } from '../common/errors/app-error.js';
import { DomainEventBus } from '../common/events/domain-events.js';
import { nothingToRefund, type Refund } from '../common/refund.js';
import { RateLimitService } from '../common/rate-limit/rate-limit.service.js';
import { AttachmentsService } from './attachments.service.js';
import { ConversationAccess } from './conversation-access.service.js';
import type { ConversationRef } from './conversations.repository.js';
import { MessageDto, type SendMessageDto } from './dto/message.dto.js';
import { MessageChangedEvent } from './events/message-changed.event.js';
import { MessageCreatedEvent } from './events/message-created.event.js';
import type { Message, StoredAttachment } from './message.entity.js';
import { type AppendOutcome, type MessageDraft, MessageStore } from './message.store.js';
import { MessageTargets } from './message-targets.js';
import { MessageWriter } from './message-writer.js';

export interface SendContext {
  userId: string;
  /** The socket that sent the message, which gets the ack rather than message:new. */
  socketId?: string;
}

export interface SendResult {
  message: MessageDto;
  /** False when clientMsgId matched an earlier message, which is returned instead. */
  created: boolean;
}

/**
 * Writing messages, for REST, Socket.IO and applications alike: the target and the sender's right
 * to post are checked, the message is stored with the writer's next batch (which takes its seq and
 * answers retries), and a domain event announces it for delivery (and anything else that listens).
 */
@Injectable()
export class MessagesService {
  private readonly logger = new Logger(MessagesService.name);
  /**
   * Sends stored lately through this node (`senderId:clientMsgId` → message), to answer retries
   * without the database. This node's own memory of its writes, not a shared fact: no bus involved.
   */
  private readonly recent = new LRUCache<string, MessageDto>({ max: 20_000 });

  constructor(
    private readonly store: MessageStore,
    private readonly writer: MessageWriter,
    private readonly targets: MessageTargets,
    private readonly access: ConversationAccess,
    private readonly attachments: AttachmentsService,
    private readonly limits: RateLimitService,
    private readonly events: DomainEventBus,
    private readonly config: AppConfig,
  ) {}

  async send(ctx: SendContext, dto: SendMessageDto): Promise<SendResult> {
    const body = this.checkBody(dto.body, (dto.attachments?.length ?? 0) > 0);
    if ((dto.attachments?.length ?? 0) > this.config.limits.attachments) {
      throw AppError.validation(`At most ${this.config.limits.attachments} attachments`, {
        fields: [{ field: 'attachments', problems: [`at most ${this.config.limits.attachments}`] }],
      });
    }
    // Target (from caches once warm) and the rate limit are independent: run them side by side.
    const [target, rate] = await Promise.all([
      this.targets.resolve(ctx.userId, dto).then(
        (conversation) => ({ conversation, refusal: null }),
        (refusal: unknown) => ({ conversation: null, refusal }),
      ),
      this.consumeRate(ctx.userId).then(
        (refund) => ({ refund, refusal: null }),
        (refusal: unknown) => ({ refund: nothingToRefund, refusal }),
      ),
    ]);
    let admitted: { conversation: ConversationRef; attachments: StoredAttachment[]; quota: Refund };
    try {
      const conversation = target.conversation;
      if (target.refusal || rate.refusal || !conversation) throw target.refusal ?? rate.refusal;
      const attachments = await this.attachments.ownedBy(ctx.userId, dto.attachments?.map((a) => a.id) ?? []);
      // Charged only now, after every refusal that a retry could also meet.
      admitted = { conversation, attachments, quota: await this.access.charge(conversation) };
    } catch (refusal) {
      // Only on a refusal is a retry looked for: a retry of a stored message is still answered.
      // Past the rate limit, nothing costly happens: only this node's memory of recent sends is
      // asked (a flood must not turn into database reads); a retry it does not know is told to
      // come back after Retry-After, and is then answered from the table.
      const earlier = !dto.clientMsgId
        ? null
        : rate.refusal
          ? (this.recent.get(`${ctx.userId}:${dto.clientMsgId}`) ?? null)
          : await this.store.byClientMsgId(ctx.userId, dto.clientMsgId).then((m) => m && MessageDto.from(m));
      if (!earlier) throw refusal;
      await this.giveBack(rate.refund);
      return { message: earlier, created: false };
    }
    const { conversation, attachments, quota } = admitted;
    // A retry (same clientMsgId) is answered by the writer, from its batch or from the table.
    let outcome: AppendOutcome;
    try {
      outcome = await this.writer.write({
        conversationId: conversation.id,
        senderId: ctx.userId,
        appId: null,
        type: dto.type ?? 'text',
        body,
        attachments,
        clientMsgId: dto.clientMsgId ?? null,
      });
    } catch (error) {
      await this.giveBack(quota);
      throw error;
    }
    if (outcome.kind === 'missing') {
      await this.giveBack(quota);
      throw AppError.notFound('Conversation');
    }
    const view = MessageDto.from(outcome.message);
    if (dto.clientMsgId) this.recent.set(`${ctx.userId}:${dto.clientMsgId}`, view);
    if (outcome.kind === 'duplicate') {
      // A retry costs nothing: neither the rate point nor the quota it took on the way in.
      await this.giveBack(quota, rate.refund);
      return { message: view, created: false };
    }
    const memberIds = await this.access.memberIds(conversation.id);
    this.events.emit(
      MessageCreatedEvent.event,
      new MessageCreatedEvent(view, memberIds, ctx.socketId ?? null),
    );
    return { message: view, created: true };
  }

  /**
   * One application message to many users, each in their own channel of the app (`channels`: user
   * id → conversation id), stored by one append. Returns each user's message.
   */
  async postFromApp(
    appId: string,
    channels: Map<string, string>,
    content: { type: Message['type']; body: string },
  ): Promise<Map<string, MessageDto>> {
    const body = this.checkBody(content.body, false);
    const recipients = [...channels];
    const drafts: MessageDraft[] = recipients.map(([, conversationId]) => ({
      conversationId,
      senderId: null,
      appId,
      type: content.type,
      body,
      attachments: [],
      clientMsgId: null,
    }));
    const outcomes = await this.store.append(drafts);
    const byConversation = new Map(
      outcomes.flatMap((o) =>
        o.kind === 'stored' ? [[o.message.conversationId, MessageDto.from(o.message)]] : [],
      ),
    );
    const out = new Map<string, MessageDto>();
    for (const [userId, conversationId] of recipients) {
      const message = byConversation.get(conversationId);
      if (!message) continue;
      out.set(userId, message);
      this.events.emit(MessageCreatedEvent.event, new MessageCreatedEvent(message, [userId], null));
    }
    return out;
  }

  async edit(userId: string, messageId: string, body: string): Promise<MessageDto> {
    const message = await this.changeable(userId, messageId, 'edit');
    if (message.deletedAt) throw AppError.conflict('Message was deleted');
    const text = this.checkBody(body, message.attachments.length > 0);
    return this.changed('updated', await this.store.editBody(messageId, text));
  }

  /** Soft delete by the sender (or a group moderator): the seq stays, the content goes. */
  async delete(userId: string, messageId: string): Promise<void> {
    const message = await this.changeable(userId, messageId, 'delete');
    if (message.deletedAt) return;
    await this.changed('deleted', await this.store.softDelete(messageId));
  }

  /** The configured length limit, and no empty body without attachments (VALIDATION_FAILED on `body`). */
  checkBody(body: string, hasAttachments: boolean): string {
    const max = this.config.limits.messageLength;
    if ([...body].length > max) {
      throw AppError.validation(`body must be at most ${max} characters`, {
        fields: [{ field: 'body', problems: [`at most ${max} characters`] }],
      });
    }
    if (body.trim().length === 0 && !hasAttachments) {
      throw AppError.validation('body must not be empty', {
        fields: [{ field: 'body', problems: ['must not be empty'] }],
      });
    }
    return body;
  }

  /**
   * A message the caller may change: their own, or (to delete) one in a group they moderate.
   * NOT_FOUND if they cannot see it, FORBIDDEN if they may not change it.
   */
  private async changeable(userId: string, messageId: string, purpose: 'edit' | 'delete'): Promise<Message> {
    const message = await this.store.byId(messageId);
    if (!message || !(await this.access.isMember(message.conversationId, userId))) {
      throw AppError.notFound('Message');
    }
    if (message.senderId === userId) return message;
    if (purpose === 'delete' && (await this.access.may(userId, message.conversationId, 'moderate')))
      return message;
    throw AppError.forbidden('Only the sender can change a message');
  }

  private async changed(kind: 'updated' | 'deleted', row: Message): Promise<MessageDto> {
    const view = MessageDto.from(row);
    const memberIds = await this.access.memberIds(row.conversationId);
    this.events.emit(MessageChangedEvent.event, new MessageChangedEvent(kind, view, memberIds));
    return view;
  }

  /** Refunds what a send took; a refund that fails costs the user a unit, never the send. */
  private async giveBack(...refunds: Refund[]): Promise<void> {
    for (const result of await Promise.allSettled(refunds.map((refund) => refund()))) {
      if (result.status === 'rejected') {
        this.logger.warn({ err: loggable(result.reason) }, 'refund failed');
      }
    }
  }

  private consumeRate(userId: string): Promise<Refund> {
    const { messagesPerSec, messagesBurst } = this.config.rateLimits;
    return this.limits.consume(
      { name: 'messages', points: messagesPerSec, windowSeconds: 1, burst: messagesBurst },
      userId,
    );
  }
}
