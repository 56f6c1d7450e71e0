import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';
import { ERROR_STATUS, type ErrorCode } from '../errors/app-error.js';

export class ErrorResponseDto {
  @ApiProperty({ example: 400 }) statusCode!: number;
  @ApiProperty({ enum: Object.keys(ERROR_STATUS), example: 'VALIDATION_FAILED' }) code!: ErrorCode;
  @ApiProperty({ example: 'username must be 3-32 characters of A-Z a-z 0-9 _ . -' }) message!: string;
  @ApiPropertyOptional({ description: 'e.g. {fields: [{field, problems}]} or {retryAfterSeconds}' })
  details?: Record<string, unknown>;
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'VALIDATION_FAILED: the body, query or a path parameter is invalid',
  401: 'UNAUTHORIZED: missing, invalid or revoked credentials',
  403: 'FORBIDDEN: authenticated but not allowed',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  429: 'RATE_LIMITED or QUOTA_EXCEEDED (with Retry-After)',
  503: 'SERVICE_UNAVAILABLE: a dependency is down',
};

/** Documents the error answers of a route, all in the one error shape. */
export const ApiErrors = (...statuses: (keyof typeof DESCRIPTIONS)[]): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: DESCRIPTIONS[status], type: ErrorResponseDto }),
    ),
  );

/** Documents a file download: the bytes, a range of them, not modified, or an unsatisfiable range. */
export const ApiFileDownload = (summary: string): MethodDecorator =>
  applyDecorators(
    ApiResponse({
      status: 200,
      description: `${summary} (ETag; Content-Disposition with the file name)`,
      content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
    }),
    ApiResponse({
      status: 206,
      description: 'The requested range (Content-Range)',
      content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
    }),
    ApiResponse({ status: 304, description: 'If-None-Match holds the current ETag' }),
    ApiResponse({ status: 416, description: 'The range cannot be satisfied (Content-Range: bytes */size)' }),
  );
