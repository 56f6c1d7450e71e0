import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_STATUS, type ErrorCode } from '../common/errors/app-error.js';

/** A refused client event's ack: `{ok: false, error}` (the HTTP error shape without statusCode). */
export class SocketErrorDto {
  @ApiProperty({ enum: Object.keys(ERROR_STATUS), example: 'FORBIDDEN' }) code!: ErrorCode;
  @ApiProperty({ example: 'You can only message your friends' }) message!: string;
  @ApiPropertyOptional({ description: 'e.g. {fields: [{field, problems}]} or {retryAfterMs}' })
  details?: Record<string, unknown>;
}
