import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import { AppConfig } from '../common/config/app-config.js';
import { AppError } from '../common/errors/app-error.js';
import { BlocksService } from './blocks.service.js';
import type { FriendInvite } from './friend-invite.entity.js';
import { FriendsService } from './friends.service.js';
import { InvitesRepository } from './invites.repository.js';
import { UsersService } from './users.service.js';

export interface InvitePreview {
  code: string;
  url: string;
  inviter: { id: string; displayName: string };
  expiresAt: string;
  state: 'open' | 'expired' | 'used';
  /** The link as a PNG QR code, for a phone to scan from the screen. */
  qrDataUrl: string;
}

const DEFAULT_TTL_SECONDS = 7 * 24 * 3600;

/** What {@link InvitesService.create} makes: 12 random bytes, base64url. */
const INVITE_CODE = /^[A-Za-z0-9_-]{16}$/;

/** Whether a string can be an invite code (anything else need not be looked up). */
export const isInviteCode = (code: string): boolean => INVITE_CODE.test(code);

@Injectable()
export class InvitesService {
  constructor(
    private readonly invites: InvitesRepository,
    private readonly friends: FriendsService,
    private readonly blocks: BlocksService,
    private readonly config: AppConfig,
    private readonly users: UsersService,
  ) {}

  async create(
    creatorId: string,
    options: { multiUse?: boolean; expiresInSeconds?: number },
    origin: string,
  ): Promise<{ invite: FriendInvite; url: string }> {
    const invite = await this.invites.insert({
      code: randomBytes(12).toString('base64url'),
      creatorId,
      multiUse: options.multiUse ?? false,
      expiresAt: new Date(Date.now() + (options.expiresInSeconds ?? DEFAULT_TTL_SECONDS) * 1000),
    });
    return { invite, url: this.urlOf(invite.code, origin) };
  }

  /** The invite link as a PNG QR code (any signed-in user holding the code may render it). */
  async qr(code: string, origin: string): Promise<Buffer> {
    const invite = await this.invites.findByCode(code);
    if (!invite) throw AppError.notFound('Invite');
    return QRCode.toBuffer(this.urlOf(invite.code, origin), {
      type: 'png',
      errorCorrectionLevel: 'M',
      margin: 2,
      width: 320,
    });
  }

  /**
   * Accepts an invite: spends it (single-use codes once, in one statement, so two people cannot both
   * use one) and makes the two users friends both ways.
   */
  async accept(userId: string, code: string): Promise<{ friendId: string }> {
    const invite = await this.invites.findByCode(code);
    if (!invite) throw AppError.notFound('Invite');
    if (invite.creatorId === userId) throw AppError.validation('You cannot accept your own invite');
    if (await this.blocks.isBlockedEitherWay(userId, invite.creatorId))
      throw AppError.forbidden('You cannot accept this invite');
    if (!(await this.invites.spend(code))) {
      throw AppError.conflict(
        invite.expiresAt.getTime() <= Date.now() ? 'This invite has expired' : 'This invite was already used',
      );
    }
    await this.friends.makeFriends(invite.creatorId, userId);
    return { friendId: invite.creatorId };
  }

  /**
   * What the invite link shows to whoever opens it (no sign-in needed: holding the code is the
   * permission): who invites, until when, and whether it can still be used. Null for no such code.
   */
  async preview(code: string, origin: string): Promise<InvitePreview | null> {
    if (!isInviteCode(code)) return null;
    const invite = await this.invites.findByCode(code);
    if (!invite) return null;
    const [inviter] = await this.users.findMany([invite.creatorId]);
    if (!inviter || inviter.deactivatedAt) return null;
    const state =
      invite.expiresAt.getTime() <= Date.now()
        ? 'expired'
        : !invite.multiUse && invite.uses > 0
          ? 'used'
          : 'open';
    const url = this.urlOf(code, origin);
    return {
      code,
      url,
      inviter: { id: inviter.id, displayName: inviter.displayName },
      expiresAt: invite.expiresAt.toISOString(),
      state,
      qrDataUrl: await QRCode.toDataURL(url, { errorCorrectionLevel: 'M', margin: 2, width: 240 }),
    };
  }

  private urlOf(code: string, origin: string): string {
    return `${this.config.publicUrl ?? origin}/invite/${code}`;
  }
}
