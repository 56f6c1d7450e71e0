import { IsIn, IsString, Length, MaxLength } from 'class-validator';
import { BODY_CEILING } from './message.dto.js';
import { IsUuid } from '../../common/validation/is-uuid.js';

export class EditMessageSocketDto {
  @IsUuid()
  messageId!: string;

  @IsString()
  @MaxLength(BODY_CEILING)
  body!: string;
}

export class AuthRefreshDto {
  @IsString()
  @Length(1, 4096)
  token!: string;
}

export class SessionStateDto {
  @IsIn(['active', 'inactive'])
  state!: 'active' | 'inactive';
}
