import { Injectable } from '@nestjs/common';
import { DomainEventBus } from '../common/events/domain-events.js';
import { ConversationAccess } from './conversation-access.service.js';
import { ReceiptEvent } from './events/receipt.event.js';
import { MembershipRepository } from './membership.repository.js';

/** Delivered and read watermarks of conversation members, and the receipts they raise. */
@Injectable()
export class ReceiptsService {
  constructor(
    private readonly access: ConversationAccess,
    private readonly membership: MembershipRepository,
    private readonly events: DomainEventBus,
  ) {}

  /** Moves the caller's read (and with it delivered) watermark forward, never back, never past lastSeq. */
  markRead(userId: string, conversationId: string, seq: number): Promise<number> {
    return this.move(userId, conversationId, seq, 'read');
  }

  markDelivered(userId: string, conversationId: string, seq: number): Promise<number> {
    return this.move(userId, conversationId, seq, 'delivered');
  }

  /** Raises a receipt with the watermark the move ends at. */
  private async move(
    userId: string,
    conversationId: string,
    seq: number,
    kind: 'read' | 'delivered',
  ): Promise<number> {
    const [, blocked] = await Promise.all([
      this.access.require(userId, conversationId, 'read'),
      this.access.blockedEitherWay(userId),
    ]);
    const at = await this.membership.moveWatermark(userId, conversationId, seq, kind);
    this.events.emit(
      ReceiptEvent.event,
      kind === 'read'
        ? new ReceiptEvent(conversationId, userId, undefined, at, blocked)
        : new ReceiptEvent(conversationId, userId, at, undefined, blocked),
    );
    return at;
  }
}
