import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiErrors } from '../common/http/api-errors.js';
import { type AuthUser, CurrentUser, Public } from '../common/auth/auth-context.js';
import { AuthService } from './auth.service.js';
import {
  AuthResultDto,
  LoginDto,
  RefreshDto,
  RegisterDto,
  TokenPairDto,
  WsTicketDto,
} from './dto/auth.dto.js';
import type { ClientInfo } from './sessions.service.js';

const clientOf = (req: Request): ClientInfo => ({ ip: req.ip, userAgent: req.get('user-agent') });

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('register')
  @ApiOperation({ summary: 'Create an account and sign in' })
  @ApiCreatedResponse({ type: AuthResultDto })
  @ApiErrors(400, 409, 429)
  register(@Body() body: RegisterDto, @Req() req: Request): Promise<AuthResultDto> {
    return this.auth.register(body, clientOf(req));
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in; opens a session for the device' })
  @ApiOkResponse({ type: AuthResultDto })
  @ApiErrors(400, 401, 429)
  login(@Body() body: LoginDto, @Req() req: Request): Promise<AuthResultDto> {
    return this.auth.login(body, clientOf(req));
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Exchange a refresh token for a new pair',
    description: 'Refresh tokens are single-use. Presenting a spent one revokes its session.',
  })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiErrors(400, 401)
  refresh(@Body() body: RefreshDto): Promise<TokenPairDto> {
    return this.auth.refresh(body.refreshToken);
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End the current session; its tokens and sockets stop working at once' })
  @ApiNoContentResponse()
  @ApiErrors(401)
  async logout(@CurrentUser() auth: AuthUser): Promise<void> {
    await this.auth.logout(auth);
  }

  @Get('ws-token')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'A single-use socket handshake ticket, valid for 60 s' })
  @ApiOkResponse({ type: WsTicketDto })
  @ApiErrors(401)
  async wsToken(@CurrentUser() auth: AuthUser): Promise<WsTicketDto> {
    const ticket = await this.auth.wsTicket(auth);
    return { token: ticket.token, expiresAt: ticket.expiresAt.toISOString() };
  }
}
