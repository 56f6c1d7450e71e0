import { Injectable } from '@nestjs/common';
import { SessionsService } from '../auth/sessions.service.js';
import { MessageStore } from '../messaging/message.store.js';
import { PresenceService } from '../connections/presence.service.js';
import { TenantsService } from '../orgs/tenants.service.js';
import { UsersService } from '../users/users.service.js';
import type { AdminStatsDto } from './admin.dto.js';

/** Service-wide statistics, gathered from the modules that own each number. */
@Injectable()
export class AdminStatsService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly presence: PresenceService,
    private readonly messages: MessageStore,
    private readonly tenants: TenantsService,
  ) {}

  async stats(): Promise<AdminStatsDto> {
    const now = new Date();
    const midnightUtc = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const [users, liveSessions, online, messagesToday, tenantsToday] = await Promise.all([
      this.users.count(),
      this.sessions.countLive(),
      this.presence.totals(),
      this.messages.countSince(midnightUtc),
      this.tenants.usageToday(),
    ]);
    return {
      users,
      liveSessions,
      onlineUsers: online.onlineUsers,
      sockets: online.sockets,
      messagesToday,
      tenantsToday,
    };
  }
}
