import { Controller, Get, Post, Res, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiOperation,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { type AuthUser, CurrentUser } from '../common/auth/auth-context.js';
import { AppError } from '../common/errors/app-error.js';
import { ApiErrors, ApiFileDownload } from '../common/http/api-errors.js';
import { UuidParam } from '../common/http/uuid-param.js';
import { AttachmentsService } from './attachments.service.js';

export class AttachmentDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ description: 'Detected from the content' }) mime!: string;
  @ApiProperty() size!: number;
  @ApiProperty() sha256!: string;
}

@ApiTags('attachments')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('attachments')
export class AttachmentsController {
  constructor(private readonly attachments: AttachmentsService) {}

  @Post()
  @UseInterceptors(FileInterceptor('file'))
  @ApiOperation({
    summary: 'Upload a file to attach to messages',
    description:
      'multipart/form-data with one `file` (MAX_ATTACHMENT_BYTES, 20 MiB by default). Send its id in a message’s attachments.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file'],
      properties: { file: { type: 'string', format: 'binary' } },
    },
  })
  @ApiCreatedResponse({ type: AttachmentDto })
  @ApiErrors(400, 413, 429)
  async upload(
    @CurrentUser() auth: AuthUser,
    @UploadedFile() file: Express.Multer.File | undefined,
  ): Promise<AttachmentDto> {
    if (!file)
      throw AppError.validation('file is required', {
        fields: [{ field: 'file', problems: ['is required'] }],
      });
    const a = await this.attachments.store(auth.userId, file);
    return { id: a.id, url: `/api/v1/attachments/${a.id}`, mime: a.mime, size: a.size, sha256: a.sha256 };
  }

  @Get(':id')
  @ApiOperation({
    summary: 'Download an attachment (its uploader, or members of conversations that reference it)',
  })
  @ApiFileDownload('The file')
  @ApiErrors(400, 404)
  async download(
    @CurrentUser() auth: AuthUser,
    @UuidParam('id') id: string,
    @Res() res: Response,
  ): Promise<void> {
    const attachment = await this.attachments.visible(auth.userId, id);
    res.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
    await this.attachments.send(res, attachment);
  }
}
