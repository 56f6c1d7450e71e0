import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Length, MaxLength } from 'class-validator';
import { BODY_CEILING } from './message.dto.js';
import { IsUuid } from '../../common/validation/is-uuid.js';

export class EditMessageSocketDto {
  @ApiProperty({ format: 'uuid' })
  @IsUuid()
  messageId!: string;

  @ApiProperty({ maxLength: 4000 })
  @IsString()
  @MaxLength(BODY_CEILING)
  body!: string;
}

export class AuthRefreshDto {
  @ApiProperty({ description: 'A fresh access token of the socket’s own session', maxLength: 4096 })
  @IsString()
  @Length(1, 4096)
  token!: string;
}

export class SessionStateDto {
  @ApiProperty({
    enum: ['active', 'inactive'],
    description: 'inactive: the user is not looking at this device',
  })
  @IsIn(['active', 'inactive'])
  state!: 'active' | 'inactive';
}
