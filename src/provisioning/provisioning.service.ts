import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SessionsService } from '../auth/sessions.service.js';
import { AppError } from '../common/errors/app-error.js';
import { DomainEventBus } from '../common/events/domain-events.js';
import type { GroupDto } from '../groups/dto/group.dto.js';
import { GroupsService } from '../groups/groups.service.js';
import { TenantsService } from '../orgs/tenants.service.js';
import { FriendsService } from '../users/friends.service.js';
import { RelationChangedEvent } from '../users/relation-changed.event.js';
import { UsersService } from '../users/users.service.js';
import type { ServiceUserDto, UpsertServiceUserDto } from './provisioning.dto.js';

/** The host system keeps Relay's users, friendships and groups in step with its own, by its ids. */
@Injectable()
export class ProvisioningService {
  constructor(
    private readonly db: DataSource,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly friends: FriendsService,
    private readonly groups: GroupsService,
    private readonly tenants: TenantsService,
    private readonly events: DomainEventBus,
  ) {}

  /** Creates or updates (and reactivates) a user; with a tenant, makes them a member of it. */
  async upsertUser(
    externalId: string,
    body: UpsertServiceUserDto,
  ): Promise<{ user: ServiceUserDto; created: boolean }> {
    if (body.tenantId) await this.tenants.requireTenant(body.tenantId);
    const { user, created } = await this.users.upsertExternal(
      externalId,
      { username: body.username, displayName: body.displayName },
      true,
    );
    if (body.tenantId) await this.tenants.ensureMember(body.tenantId, user.id);
    // An update may have reactivated the account: others may message it again.
    if (!created) this.events.emit(RelationChangedEvent.event, new RelationChangedEvent(user.id, null));
    return {
      user: {
        id: user.id,
        externalId,
        username: user.username,
        displayName: user.displayName,
        createdAt: user.createdAt.toISOString(),
      },
      created,
    };
  }

  /** Deactivates a user and revokes all their sessions in one transaction; their sockets close after it commits. */
  async deactivate(externalId: string): Promise<void> {
    const user = await this.users.findByExternalId(externalId);
    if (!user) throw AppError.notFound('User');
    const revoked = await this.db.transaction(async (tx) => {
      await this.users.deactivate(tx, user.id);
      return this.sessions.revokeAllOf(tx, user.id, 'deactivated');
    });
    this.sessions.announceRevoked(revoked);
    this.events.emit(RelationChangedEvent.event, new RelationChangedEvent(user.id, null));
  }

  async friendship(
    aExternalId: string,
    bExternalId: string,
  ): Promise<{ a: string; b: string; created: boolean }> {
    if (aExternalId === bExternalId) throw AppError.validation('a and b must be different users');
    const [a, b] = await Promise.all([
      this.users.findByExternalId(aExternalId),
      this.users.findByExternalId(bExternalId),
    ]);
    if (!a || !b) {
      const missing = [aExternalId, bExternalId].filter((_, i) => ![a, b][i]);
      throw AppError.unknownIds('users', missing);
    }
    return { a: a.id, b: b.id, created: await this.friends.makeFriends(a.id, b.id) };
  }

  /** Creates or updates a group by the host's id, with exactly these members. */
  async group(
    externalId: string,
    name: string,
    memberExternalIds: string[],
  ): Promise<{ group: GroupDto; created: boolean }> {
    const wanted = [...new Set(memberExternalIds)];
    const found = await this.users.findManyByExternalId(wanted);
    const missing = wanted.filter((id) => !found.has(id));
    if (missing.length > 0) throw AppError.unknownIds('users', missing);
    return this.groups.mirror(externalId, name.trim(), [...found.values()]);
  }
}
