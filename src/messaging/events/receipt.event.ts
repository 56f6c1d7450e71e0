/** A member moved their delivered or read watermark. */
export class ReceiptEvent {
  static readonly event = 'conversation.receipt';
  constructor(
    readonly conversationId: string,
    readonly userId: string,
    readonly deliveredSeq: number | undefined,
    readonly readSeq: number | undefined,
  ) {}
}
