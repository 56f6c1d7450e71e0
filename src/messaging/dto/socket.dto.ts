import { IsIn, IsString, IsUUID, MaxLength } from 'class-validator';
import { BODY_CEILING } from './message.dto.js';

export class EditMessageSocketDto {
  @IsUUID()
  messageId!: string;

  @IsString()
  @MaxLength(BODY_CEILING)
  body!: string;
}

export class SessionStateDto {
  @IsIn(['active', 'inactive'])
  state!: 'active' | 'inactive';
}
