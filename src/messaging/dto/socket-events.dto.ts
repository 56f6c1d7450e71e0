import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** `receipt`: a member's delivered or read watermark moved. */
export class ReceiptEventDto {
  @ApiProperty({ format: 'uuid' }) conversationId!: string;
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiPropertyOptional({ type: 'integer', minimum: 0 }) deliveredSeq?: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 0 }) readSeq?: number;
}

/** `typing`: a member started or stopped typing (never sent to the typist's own devices). */
export class TypingEventDto {
  @ApiProperty({ format: 'uuid' }) conversationId!: string;
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty() typing!: boolean;
}

/** `conversation:left`: the user left, was removed from, or saw the deletion of a conversation. */
export class ConversationLeftEventDto {
  @ApiProperty({ format: 'uuid' }) conversationId!: string;
}
