import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
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
