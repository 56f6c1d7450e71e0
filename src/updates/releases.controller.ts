import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  Req,
  Res,
  UploadedFile,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { rm } from 'node:fs/promises';
import { AdminOnly, Public } from '../common/auth/auth-context.js';
import { AppError } from '../common/errors/app-error.js';
import { validatePayload } from '../common/errors/validation.js';
import { ApiErrors, ApiFileDownload } from '../common/http/api-errors.js';
import { UuidParam } from '../common/http/uuid-param.js';
import { DEFAULT_PAGE_SIZE } from '../common/pagination/cursor.js';
import {
  CreateReleaseDto,
  PolicyDto,
  PolicyViewDto,
  ReleaseDto,
  ReleaseListQueryDto,
  ReleasePageDto,
  UpdateCheckDto,
  UpdateCheckQueryDto,
} from './dto/updates.dto.js';
import type { HashedFile } from './hashing-storage.js';
import { ReleasesService } from './releases.service.js';
import { SkipSignature } from '../common/http/skip-signature.js';
import { PLATFORM_PATTERN } from './version.js';

@ApiTags('releases')
@Controller()
export class ReleasesController {
  constructor(private readonly releases: ReleasesService) {}

  @Post('releases')
  @AdminOnly()
  @ApiBearerAuth()
  @UseInterceptors(FileInterceptor('file'))
  @ApiOperation({
    summary: 'Publish a client release (admin)',
    description:
      'multipart/form-data: file, version, platform, notes?, mandatory?. Streamed to disk while hashed; at most MAX_RELEASE_BYTES.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file', 'version', 'platform'],
      properties: {
        file: { type: 'string', format: 'binary' },
        version: { type: 'string', example: '1.10.0' },
        platform: { type: 'string', example: 'android' },
        notes: { type: 'string' },
        mandatory: { type: 'boolean' },
      },
    },
  })
  @ApiCreatedResponse({ type: ReleaseDto })
  @ApiErrors(400, 401, 403, 409, 413)
  async publish(
    @UploadedFile() file: (Express.Multer.File & HashedFile) | undefined,
    @Body() body: unknown,
  ): Promise<ReleaseDto> {
    if (!file)
      throw AppError.validation('file is required', {
        fields: [{ field: 'file', problems: ['is required'] }],
      });
    let dto: CreateReleaseDto;
    try {
      dto = await validatePayload(CreateReleaseDto, body);
    } catch (error) {
      await rm(file.path, { force: true });
      throw error;
    }
    return this.releases.publish(file, dto);
  }

  @Get('releases')
  @AdminOnly()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Releases, newest first (admin)' })
  @ApiOkResponse({ type: ReleasePageDto })
  @ApiErrors(400, 401, 403)
  list(@Query() query: ReleaseListQueryDto): Promise<ReleasePageDto> {
    return this.releases.list(query.platform, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }

  @Delete('releases/:id')
  @AdminOnly()
  @ApiBearerAuth()
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a release and its file (admin)' })
  @ApiNoContentResponse()
  @ApiErrors(400, 401, 403, 404)
  async delete(@UuidParam('id') id: string): Promise<void> {
    await this.releases.delete(id);
  }

  @Public()
  @Get('releases/:id/download')
  @ApiOperation({ summary: 'Download a release file (ETag = sha256, Range supported); counts downloads' })
  @ApiFileDownload('The release file')
  @ApiErrors(400, 404)
  async download(@UuidParam('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const release = await this.releases.get(id);
    const range = req.headers.range;
    if (!range || /^bytes=0-/.test(range)) await this.releases.countDownload(release.id);
    await this.releases.send(res, release);
  }

  @Put('releases/policy/:platform')
  @AdminOnly()
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Set the platform’s minimum supported version (admin): older clients must update',
  })
  @ApiOkResponse({ type: PolicyViewDto })
  @ApiErrors(400, 401, 403)
  async policy(@Param('platform') platform: string, @Body() body: PolicyDto): Promise<PolicyViewDto> {
    if (!PLATFORM_PATTERN.test(platform)) {
      throw AppError.validation('platform must match ^[a-z0-9][a-z0-9_-]{0,31}$', {
        fields: [{ field: 'platform', problems: ['invalid'] }],
      });
    }
    const policy = await this.releases.setPolicy(platform, body.minSupportedVersion);
    return { platform: policy.platform, minSupportedVersion: policy.minSupportedVersion };
  }

  @Public()
  @SkipSignature()
  @Get('updates/:version')
  @ApiOperation({ summary: 'Is there an update for this client version? Must it update?' })
  @ApiOkResponse({ type: UpdateCheckDto })
  @ApiErrors(400)
  check(@Param('version') version: string, @Query() query: UpdateCheckQueryDto): Promise<UpdateCheckDto> {
    return this.releases.check(version, query.platform);
  }
}
