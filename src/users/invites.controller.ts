import { Body, Controller, Get, HttpCode, Param, Post, Req, StreamableFile } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { IsBoolean, IsInt, Max, Min } from 'class-validator';
import { type AuthUser, CurrentUser } from '../common/auth/auth-context.js';
import { AppError } from '../common/errors/app-error.js';
import { ApiErrors } from '../common/http/api-errors.js';
import { originOf } from '../common/http/origins.js';
import { InvitesService, isInviteCode } from './invites.service.js';
import { Optional } from '../common/validation/optional.js';

export class CreateInviteDto {
  @ApiPropertyOptional({ default: false, description: 'Usable by many people until it expires' })
  @Optional()
  @IsBoolean()
  multiUse?: boolean;

  @ApiPropertyOptional({ minimum: 60, maximum: 30 * 24 * 3600, default: 7 * 24 * 3600 })
  @Optional()
  @IsInt()
  @Min(60)
  @Max(30 * 24 * 3600)
  expiresInSeconds?: number;
}

export class FriendInviteDto {
  @ApiProperty() code!: string;
  @ApiProperty({ example: 'https://app.example.com/invite/Zx3…' }) url!: string;
  @ApiProperty() multiUse!: boolean;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
}

const codeOf = (raw: string): string => {
  if (!isInviteCode(raw)) throw AppError.notFound('Invite');
  return raw;
};

@ApiTags('friends')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('friends/invites')
export class InvitesController {
  constructor(private readonly invites: InvitesService) {}

  @Post()
  @ApiOperation({ summary: 'Create a friend invite (a code and a link to share, also as a QR code)' })
  @ApiCreatedResponse({ type: FriendInviteDto })
  @ApiErrors(400)
  async create(
    @CurrentUser() auth: AuthUser,
    @Body() body: CreateInviteDto,
    @Req() req: Request,
  ): Promise<FriendInviteDto> {
    const { invite, url } = await this.invites.create(auth.userId, body, originOf(req));
    return { code: invite.code, url, multiUse: invite.multiUse, expiresAt: invite.expiresAt.toISOString() };
  }

  @Get(':code/qr')
  @ApiOperation({ summary: 'The invite link as a PNG QR code' })
  @ApiProduces('image/png')
  @ApiOkResponse({ description: 'PNG image' })
  @ApiErrors(404)
  async qr(@Param('code') code: string, @Req() req: Request): Promise<StreamableFile> {
    return new StreamableFile(await this.invites.qr(codeOf(code), originOf(req)), { type: 'image/png' });
  }

  @Post(':code/accept')
  @HttpCode(200)
  @ApiOperation({ summary: 'Accept an invite: you and its creator become friends' })
  @ApiOkResponse({ schema: { example: { friendId: '6f1d0f8e-9c55-4a5e-8a43-5d8f0c2a4b11' } } })
  @ApiErrors(400, 403, 404, 409)
  accept(@CurrentUser() auth: AuthUser, @Param('code') code: string): Promise<{ friendId: string }> {
    return this.invites.accept(auth.userId, codeOf(code));
  }
}
