import { IsIn, IsString, MaxLength } from 'class-validator';
import { BODY_CEILING } from './message.dto.js';
import { IsUuid } from '../../common/validation/is-uuid.js';

export class EditMessageSocketDto {
  @IsUuid()
  messageId!: string;

  @IsString()
  @MaxLength(BODY_CEILING)
  body!: string;
}

export class SessionStateDto {
  @IsIn(['active', 'inactive'])
  state!: 'active' | 'inactive';
}
