import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { SessionsService } from '../auth/sessions.service.js';
import { AppError } from '../common/errors/app-error.js';
import { type Page, rowCursor, toPage } from '../common/pagination/cursor.js';
import { GroupsService } from '../groups/groups.service.js';
import { MessagesService } from '../messaging/messages.service.js';
import { PresenceService } from '../connections/presence.service.js';
import { OrgUnitsService } from '../orgs/org-units.service.js';
import { TenantsService } from '../orgs/tenants.service.js';
import { UsersService } from '../users/users.service.js';
import type { App } from './app.entity.js';
import { AppChannelsService } from './app-channels.service.js';
import { AppsRepository } from './apps.repository.js';
import type { PushDto, PushResultDto, PushSkippedDto } from './dto/apps.dto.js';

const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');
const newKey = (): string => `rk_${randomBytes(32).toString('base64url')}`;

@Injectable()
export class AppsService {
  constructor(
    private readonly apps: AppsRepository,
    private readonly channels: AppChannelsService,
    private readonly tenants: TenantsService,
    private readonly units: OrgUnitsService,
    private readonly groups: GroupsService,
    private readonly users: UsersService,
    private readonly messages: MessagesService,
    private readonly presence: PresenceService,
    private readonly sessions: SessionsService,
  ) {}

  async create(actorId: string, tenantId: string, name: string): Promise<{ app: App; apiKey: string }> {
    await this.tenants.requireRole(actorId, tenantId, ['owner', 'admin']);
    const apiKey = newKey();
    const app = await this.apps.insert(tenantId, name.trim(), hashKey(apiKey));
    return { app, apiKey };
  }

  async list(actorId: string, tenantId: string, limit: number, cursor?: string): Promise<Page<App>> {
    await this.tenants.requireRole(actorId, tenantId, ['owner', 'admin']);
    const rows = await this.apps.listByTenant(tenantId, limit + 1, cursor);
    return toPage(
      rows,
      limit,
      (a) => a,
      (a) => rowCursor(a.id),
    );
  }

  /** A new key; the old one stops working at once. */
  async rotate(actorId: string, appId: string): Promise<{ app: App; apiKey: string }> {
    const app = await this.visible(actorId, appId);
    await this.tenants.requireRole(actorId, app.tenantId, ['owner', 'admin']);
    const apiKey = newKey();
    return { app: await this.apps.replaceKey(app.id, hashKey(apiKey)), apiKey };
  }

  /** The app an X-App-Key belongs to; UNAUTHORIZED for a missing or wrong key. */
  async authenticate(key: string | undefined): Promise<App> {
    if (!key || key.length > 256) throw AppError.unauthorized('Missing or invalid X-App-Key');
    const app = await this.apps.findByKeyHash(hashKey(key));
    if (!app) throw AppError.unauthorized('Missing or invalid X-App-Key');
    return app;
  }

  /** Of these (user, app) pairs, those where the user muted the app's pushes, as `userId:appId`. */
  mutedPairs(pairs: { userId: string; appId: string }[]): Promise<Set<string>> {
    return this.apps.mutedPairs(pairs);
  }

  /** Mutes (or unmutes) an application's pushes to the caller; apps of tenants the caller is not in do not exist for them. */
  async mute(userId: string, appId: string, muted: boolean): Promise<void> {
    await this.visible(userId, appId);
    await this.apps.setMuted(appId, userId, muted);
  }

  /**
   * Pushes one message to users of the app's tenant: explicit users, a group of the tenant, or an
   * org unit with everything below it. Users outside the tenant, muted users and (sessions=active)
   * users without an active connected session are skipped with a reason. The tenant's daily quota
   * is taken for all deliveries up front; if it cannot be, nothing is delivered.
   */
  async push(app: App, dto: PushDto): Promise<PushResultDto> {
    if (!dto.toUserIds && !dto.groupId && !dto.orgUnitId) {
      throw AppError.validation('Give toUserIds, groupId or orgUnitId', {
        fields: [{ field: 'toUserIds', problems: ['no recipients'] }],
      });
    }
    const skipped: PushSkippedDto[] = [];
    const candidates = new Set<string>();
    if (dto.toUserIds) {
      const ids = [...new Set(dto.toUserIds)];
      const known = new Set(
        (await this.users.findMany(ids)).filter((u) => !u.deactivatedAt).map((u) => u.id),
      );
      for (const id of ids) {
        if (known.has(id)) candidates.add(id);
        else skipped.push({ userId: id, reason: 'unknown_user' });
      }
    }
    if (dto.groupId)
      for (const id of await this.groups.memberIdsInTenant(app.tenantId, dto.groupId)) candidates.add(id);
    if (dto.orgUnitId)
      for (const id of await this.units.subtreeMemberIds(app.tenantId, dto.orgUnitId)) candidates.add(id);

    const inTenant = await this.tenants.membersAmong(app.tenantId, [...candidates]);
    const muted = await this.apps.mutedAmong(app.id, [...candidates]);
    let recipients: string[] = [];
    for (const id of candidates) {
      if (!inTenant.has(id)) skipped.push({ userId: id, reason: 'not_in_tenant' });
      else if (muted.has(id)) skipped.push({ userId: id, reason: 'muted' });
      else recipients.push(id);
    }
    if (dto.sessions === 'active') {
      const connected = await this.presence.connectedSessions(recipients);
      const active = await this.sessions.activeUsers([...connected.values()].flat());
      for (const id of recipients)
        if (!active.has(id)) skipped.push({ userId: id, reason: 'no_active_session' });
      recipients = recipients.filter((id) => active.has(id));
    }

    const content = { type: dto.type ?? 'text', body: this.messages.checkBody(dto.body, false) } as const;
    const refund = await this.tenants.consume(app.tenantId, 'appPushes', recipients.length);
    let delivered: Map<string, { id: string }>;
    try {
      const channels = await this.channels.ensure(app, recipients);
      delivered = await this.messages.postFromApp(app.id, channels, content);
    } catch (error) {
      await refund();
      throw error;
    }
    return {
      delivered: recipients
        .filter((id) => delivered.has(id))
        .map((userId) => ({ userId, messageId: delivered.get(userId)!.id })),
      skipped,
    };
  }

  private async existing(appId: string): Promise<App> {
    const app = await this.apps.findById(appId);
    if (!app) throw AppError.notFound('App');
    return app;
  }

  /** An app of a tenant the caller belongs to; NOT_FOUND otherwise. */
  private async visible(actorId: string, appId: string): Promise<App> {
    const app = await this.existing(appId);
    if (!(await this.tenants.roleOf(app.tenantId, actorId))) throw AppError.notFound('App');
    return app;
  }
}
