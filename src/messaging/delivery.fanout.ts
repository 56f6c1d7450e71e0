import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { loggable } from '../common/errors/all-exceptions.filter.js';
import { ClusterBus } from '../common/redis/cluster-bus.js';
import { OnDomainEvent } from '../common/events/domain-events.js';
import { SocketEmitter } from '../realtime/socket-emitter.js';
import { ConversationSequencer } from './conversation-sequencer.js';
import { MembershipRepository } from './membership.repository.js';
import { MessageDto } from './dto/message.dto.js';
import { ConversationJoinedEvent } from './events/conversation-joined.event.js';
import { ConversationLeftEvent } from './events/conversation-left.event.js';
import { MessageChangedEvent } from './events/message-changed.event.js';
import { MessageCreatedEvent } from './events/message-created.event.js';
import { ReceiptEvent } from './events/receipt.event.js';
import type { Message } from './message.entity.js';
import { MessageStore } from './message.store.js';

/** What travels between nodes (in arrays): durable-message fan-out, in the order each node published it. */
type Delivery =
  | { kind: 'created'; message: MessageDto; memberIds: string[]; origin: string | null }
  | { kind: 'updated' | 'deleted'; message: MessageDto; memberIds: string[] };

declare module '../common/redis/bus-channels.js' {
  interface BusChannels {
    /** Durable-message fan-out, in the order each node published it. */
    messaging: Delivery[];
  }
}

/** After the bus comes back, messages stored this long before it went away are looked for too. */
const INTERRUPTION_MARGIN_MS = 5000;
/** Messages caught up per conversation after an interruption, at most (more: `sync`). */
const CATCH_UP_PER_CONVERSATION = 100;

/**
 * Turns messaging's domain events into what connected devices receive. Durable messages go over
 * the cluster bus to every node, and each node hands them to its own sockets of the members in
 * seq order (the sequencer holds one that overtook an earlier seq, and recovers a missing one from
 * the database when its announcement does not come). Membership changes move
 * sockets between conversation rooms; receipts go to conversation rooms.
 */
@Injectable()
export class DeliveryFanout implements OnModuleInit {
  private readonly logger = new Logger(DeliveryFanout.name);
  private readonly sequencer = new ConversationSequencer((id, from, to) => this.recover(id, from, to));
  /** Deliveries of this turn of the event loop, published together as one bus message. */
  private outbox: Delivery[] = [];
  /** When this node stopped hearing the bus (null while it hears it). */
  private interruptedAt: Date | null = null;

  constructor(
    private readonly bus: ClusterBus,
    private readonly emitter: SocketEmitter,
    private readonly store: MessageStore,
    private readonly membership: MembershipRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.bus.subscribe('messaging', (batch) => {
      for (const delivery of batch) this.deliver(delivery);
    });
    this.bus.onInterruption((listening) => {
      if (!listening) this.interruptedAt ??= new Date();
      else if (this.interruptedAt) void this.catchUp(this.interruptedAt);
    });
  }

  @OnDomainEvent(MessageCreatedEvent.event)
  onMessageCreated(e: MessageCreatedEvent): void {
    this.publish({
      kind: 'created',
      message: e.message,
      memberIds: e.memberIds,
      origin: e.originSocketId,
    });
  }

  @OnDomainEvent(MessageChangedEvent.event)
  onMessageChanged(e: MessageChangedEvent): void {
    this.publish({ kind: e.kind, message: e.message, memberIds: e.memberIds });
  }

  @OnDomainEvent(ConversationJoinedEvent.event)
  onJoined(e: ConversationJoinedEvent): void {
    this.emitter.joinConversation(e.userIds, e.conversationId);
    for (const [userId, view] of e.views) this.emitter.toUsers([userId], 'conversation:joined', view);
  }

  @OnDomainEvent(ConversationLeftEvent.event)
  onLeft(e: ConversationLeftEvent): void {
    this.emitter.leaveConversation(e.userIds, e.conversationId);
    this.emitter.toUsers(e.userIds, 'conversation:left', { conversationId: e.conversationId });
  }

  @OnDomainEvent(ReceiptEvent.event)
  onReceipt(e: ReceiptEvent): void {
    this.emitter.toConversation(
      e.conversationId,
      'receipt',
      {
        conversationId: e.conversationId,
        userId: e.userId,
        ...(e.deliveredSeq !== undefined ? { deliveredSeq: e.deliveredSeq } : {}),
        ...(e.readSeq !== undefined ? { readSeq: e.readSeq } : {}),
      },
      e.hiddenFrom,
    );
  }

  /** Runs on every node for every delivery, the publishing node included: this node's sockets only. */
  private deliver(d: Delivery): void {
    const local = { localOnly: true };
    switch (d.kind) {
      case 'created':
        this.sequencer.push(d.message.conversationId, d.message.seq, () =>
          this.emitter.toUsers(d.memberIds, 'message:new', d.message, { ...local, exceptSocket: d.origin }),
        );
        return;
      case 'updated':
        this.emitter.toUsers(d.memberIds, 'message:updated', d.message, local);
        return;
      case 'deleted':
        this.emitter.toUsers(d.memberIds, 'message:deleted', d.message, local);
        return;
    }
  }

  /**
   * Messages whose announcement has not come (their node stalled or died between commit and
   * publish, or the bus lost it), read back from the database.
   */
  private async recover(conversationId: string, from: number, to: number): Promise<Map<number, () => void>> {
    const messages = await this.store.range(conversationId, { afterSeq: from - 1, limit: to - from + 1 });
    this.logger.warn({ conversationId, from, to, found: messages.length }, 'missed announcements recovered');
    return new Map((await this.readBack(messages)).map((d) => [d.seq, d.deliver]));
  }

  /**
   * The bus is back after an interruption: messages stored meanwhile in conversations this node's
   * sockets follow were announced where this node could not hear them. They go through the
   * sequencer, which delivers those it has not delivered yet, in order.
   */
  private async catchUp(interruptedAt: Date): Promise<void> {
    try {
      const since = new Date(interruptedAt.getTime() - INTERRUPTION_MARGIN_MS);
      const conversationIds = this.emitter.localConversationIds();
      const messages = await this.store.latestSince(conversationIds, since, CATCH_UP_PER_CONVERSATION);
      this.interruptedAt = null;
      for (const d of await this.readBack(messages)) this.sequencer.push(d.conversationId, d.seq, d.deliver);
      this.logger.log(
        { conversations: conversationIds.length, messages: messages.length },
        'caught up after a bus interruption',
      );
    } catch (error) {
      this.logger.warn(
        { err: loggable(error) },
        'catching up after a bus interruption failed; clients will sync',
      );
    }
  }

  /**
   * Deliveries of messages read back from the database, to their conversations' members of now
   * (one member read per conversation). The sender's own sockets get them too: which one sent is
   * not known here.
   */
  private async readBack(
    messages: Message[],
  ): Promise<{ conversationId: string; seq: number; deliver: () => void }[]> {
    const ids = [...new Set(messages.map((m) => m.conversationId))];
    const members = new Map(
      await Promise.all(ids.map(async (id) => [id, await this.membership.memberIds(id)] as const)),
    );
    return messages.map((m) => ({
      conversationId: m.conversationId,
      seq: m.seq,
      deliver: () =>
        this.emitter.toUsers(members.get(m.conversationId)!, 'message:new', MessageDto.from(m), {
          localOnly: true,
        }),
    }));
  }

  /** Queues a delivery; everything queued in this turn of the event loop goes as one bus message. */
  private publish(d: Delivery): void {
    this.outbox.push(d);
    if (this.outbox.length === 1) setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    const batch = this.outbox;
    this.outbox = [];
    try {
      await this.bus.publish('messaging', batch);
    } catch (error) {
      this.logger.error({ err: loggable(error) }, 'bus publish failed');
    }
  }
}
