/** A member moved their delivered or read watermark. */
export class ReceiptEvent {
  static readonly event = 'conversation.receipt';
  constructor(
    readonly conversationId: string,
    readonly userId: string,
    readonly deliveredSeq: number | undefined,
    readonly readSeq: number | undefined,
    /** Members who must not hear of it: blocked by the reader, or who blocked the reader. */
    readonly hiddenFrom: ReadonlySet<string> = new Set(),
  ) {}
}

declare module '../../common/events/domain-events.js' {
  interface DomainEvents {
    'conversation.receipt': ReceiptEvent;
  }
}
