import { randomUUID } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, type DeepPartial } from 'typeorm';
import { CacheService, type SharedCache } from '../common/cache/cache.service.js';
import { AppError } from '../common/errors/app-error.js';
import { nothingToRefund } from '../common/refund.js';
import { encodeCursor, type Page, toPage } from '../common/pagination/cursor.js';
import type { MemberRole } from '../messaging/conversation-member.entity.js';
import { ConversationAccess } from '../messaging/conversation-access.service.js';
import type { ConversationRef } from '../messaging/conversations.repository.js';
import { ConversationsService } from '../messaging/conversations.service.js';
import { TenantsService } from '../orgs/tenants.service.js';
import { escapeLike } from '../database/sql.js';
import { BlocksService } from '../users/blocks.service.js';
import { UsersService } from '../users/users.service.js';
import type { CreateGroupDto, GroupDto, GroupMemberDto } from './dto/group.dto.js';
import type { Group } from './group.entity.js';
import { type GroupFilter, GroupsRepository } from './groups.repository.js';

const MANAGERS: readonly MemberRole[] = ['owner', 'admin'];

/**
 * Private groups and public/private topics. Every use case starts from {@link groupFor}: what the
 * caller's role in the group is, with private groups invisible (NOT_FOUND) to non-members.
 */
@Injectable()
export class GroupsService implements OnModuleInit {
  /** Group id → its tenant (null: none); a group never moves between tenants. */
  private readonly tenantOfGroup: SharedCache<{ tenantId: string | null }>;

  constructor(
    private readonly db: DataSource,
    private readonly groups: GroupsRepository,
    private readonly conversations: ConversationsService,
    private readonly access: ConversationAccess,
    private readonly users: UsersService,
    private readonly blocks: BlocksService,
    private readonly tenants: TenantsService,
    caches: CacheService,
  ) {
    this.tenantOfGroup = caches.create({ name: 'group-tenants', max: 10_000, scope: 'immutable' });
  }

  onModuleInit(): void {
    this.access.registerPolicy({
      kind: 'group',
      recipient: 'group',
      resolve: async (userId, groupId) => {
        const { group, role } = await this.groupFor(userId, groupId);
        this.checkPoster(role);
        this.rememberTenant(group);
        return (await this.access.ref(group.conversationId))!;
      },
      canPost: async (userId, conversation: ConversationRef) => {
        // The hot path of every group send: membership from the access cache, and the group's
        // tenant (which never changes) from this one; the group row only for a refusal.
        const tenantId = this.tenantOfGroup.peek(conversation.groupId!)?.tenantId;
        if (tenantId !== undefined && (await this.access.isMember(conversation.id, userId))) return;
        const { group, role } = await this.groupFor(userId, conversation.groupId!, 'Conversation');
        this.checkPoster(role);
        this.rememberTenant(group);
      },
      charge: async (conversation: ConversationRef) => {
        let tenantId = this.tenantOfGroup.peek(conversation.groupId!)?.tenantId;
        if (tenantId === undefined) {
          const group = await this.groups.findById(conversation.groupId!);
          if (!group) throw AppError.notFound('Conversation');
          tenantId = this.rememberTenant(group);
        }
        return tenantId ? this.tenants.consume(tenantId, 'messages', 1) : nothingToRefund;
      },
      // Owners and admins delete others' messages.
      mayModerate: (role) => MANAGERS.includes(role),
    });
  }

  async create(actorId: string, dto: CreateGroupDto): Promise<GroupDto> {
    const maxMembers = dto.maxMembers ?? 500;
    const memberIds = [...new Set(dto.memberIds ?? [])].filter((id) => id !== actorId);
    if (memberIds.length + 1 > maxMembers) {
      throw AppError.validation(`At most ${maxMembers} members`, {
        fields: [{ field: 'memberIds', problems: [`more than maxMembers (${maxMembers})`] }],
      });
    }
    await this.requireUsers(memberIds);
    if (dto.tenantId) await this.tenants.requireRole(actorId, dto.tenantId, ['owner', 'admin', 'member']);
    const group = await this.db.transaction(async (tx) => {
      const id = randomUUID();
      const conversation = await this.conversations.create(
        tx,
        { type: 'group', title: dto.name.trim(), groupId: id },
        [{ userId: actorId, role: 'owner' }, ...memberIds.map((userId) => ({ userId }))],
      );
      return this.groups.save(tx, {
        id,
        name: dto.name.trim(),
        nameKey: dto.name.trim().toLowerCase(),
        topic: dto.topic ?? null,
        visibility: dto.visibility ?? 'private',
        membersCanInvite: dto.membersCanInvite ?? false,
        maxMembers,
        tenantId: dto.tenantId ?? null,
        conversationId: conversation.id,
      });
    });
    await this.conversations.announce({
      conversationId: group.conversationId,
      joined: [actorId, ...memberIds],
      left: [],
    });
    return this.view(group, 'owner', memberIds.length + 1);
  }

  async get(actorId: string, groupId: string): Promise<GroupDto> {
    const { group, role } = await this.groupFor(actorId, groupId);
    return this.view(group, role);
  }

  /** Groups the caller is a member of, by name. */
  async listMine(actorId: string, limit: number, cursor?: string): Promise<Page<GroupDto>> {
    const ids = await this.conversations.conversationIdsOf(actorId);
    return this.page({ conversationIds: ids }, actorId, limit, cursor);
  }

  /** The public directory, optionally filtered by part of the name. */
  async listPublic(
    actorId: string,
    search: string | undefined,
    limit: number,
    cursor?: string,
  ): Promise<Page<GroupDto>> {
    const term = search?.trim().toLowerCase();
    const like = term ? `%${escapeLike(term)}%` : '%';
    return this.page({ publicNameLike: like }, actorId, limit, cursor);
  }

  async update(
    actorId: string,
    groupId: string,
    patch: { name?: string; topic?: string | null; membersCanInvite?: boolean },
  ): Promise<GroupDto> {
    const { group, role } = await this.groupFor(actorId, groupId);
    this.requireManager(role);
    if (patch.name !== undefined) {
      group.name = patch.name.trim();
      group.nameKey = group.name.toLowerCase();
    }
    if (patch.topic !== undefined) group.topic = patch.topic;
    if (patch.membersCanInvite !== undefined) group.membersCanInvite = patch.membersCanInvite;
    await this.groups.update(group);
    return this.view(group, role);
  }

  /** Deletes the group, its conversation and its messages (owner only). */
  async delete(actorId: string, groupId: string): Promise<void> {
    const { group, role } = await this.groupFor(actorId, groupId);
    if (role !== 'owner') throw AppError.forbidden('Only the owner can delete the group');
    const members = await this.db.transaction(async (tx) => {
      await this.groups.delete(tx, group.id);
      return this.conversations.delete(tx, group.conversationId);
    });
    await this.conversations.announce({ conversationId: group.conversationId, joined: [], left: members });
  }

  async members(
    actorId: string,
    groupId: string,
    limit: number,
    cursor?: string,
  ): Promise<Page<GroupMemberDto>> {
    const { group } = await this.groupFor(actorId, groupId);
    const page = await this.conversations.listMembers(group.conversationId, limit, cursor);
    return {
      items: page.items.map((m) => ({ userId: m.userId, role: m.role, joinedAt: m.joinedAt.toISOString() })),
      nextCursor: page.nextCursor,
    };
  }

  /** Admins add members directly. */
  async addMembers(actorId: string, groupId: string, userIds: string[]): Promise<string[]> {
    const { group, role } = await this.groupFor(actorId, groupId);
    this.requireManager(role);
    const ids = [...new Set(userIds)];
    await this.requireUsers(ids);
    return this.conversations.addMembers(group.conversationId, ids, { capacity: group.maxMembers });
  }

  /**
   * Removes a member: oneself (leaving), or another member as owner/admin. Admins cannot remove the
   * owner or other admins; the owner leaves only after handing ownership over.
   */
  async removeMember(actorId: string, groupId: string, userId: string): Promise<void> {
    const { group, role } = await this.groupFor(actorId, groupId);
    const targetRole = await this.access.roleOf(group.conversationId, userId);
    if (!targetRole) throw AppError.notFound('Member');
    if (userId === actorId) {
      if (role === 'owner')
        throw AppError.conflict('The owner must transfer ownership (or delete the group) before leaving');
    } else {
      this.requireManager(role);
      if (targetRole === 'owner' || (targetRole === 'admin' && role !== 'owner')) {
        throw AppError.forbidden('Only the owner can remove an admin; nobody removes the owner');
      }
    }
    await this.conversations.removeMembers(group.conversationId, [userId]);
  }

  /** The owner changes roles; making someone owner hands ownership over (the old owner becomes admin). */
  async setRole(
    actorId: string,
    groupId: string,
    userId: string,
    newRole: MemberRole,
  ): Promise<{ userId: string; role: MemberRole }> {
    const { group, role } = await this.groupFor(actorId, groupId);
    if (role !== 'owner') throw AppError.forbidden('Only the owner changes roles');
    if (userId === actorId)
      throw AppError.validation('The owner cannot change their own role; make someone else owner instead');
    if (!(await this.access.roleOf(group.conversationId, userId))) throw AppError.notFound('Member');
    await this.db.transaction(async (tx) => {
      await this.conversations.setRole(tx, group.conversationId, userId, newRole);
      if (newRole === 'owner') await this.conversations.setRole(tx, group.conversationId, actorId, 'admin');
    });
    return { userId, role: newRole };
  }

  /** Joins a public topic; a no-op for members. */
  async subscribe(actorId: string, groupId: string): Promise<void> {
    const { group, role } = await this.groupFor(actorId, groupId);
    if (group.visibility !== 'public') throw AppError.forbidden('Private groups are joined by invitation');
    if (role) return;
    await this.conversations.addMembers(group.conversationId, [actorId], { capacity: group.maxMembers });
  }

  async unsubscribe(actorId: string, groupId: string): Promise<void> {
    const { group, role } = await this.groupFor(actorId, groupId);
    if (group.visibility !== 'public')
      throw AppError.forbidden('Leave a private group with DELETE /groups/:id/members/:yourId');
    if (!role) return;
    if (role === 'owner') throw AppError.conflict('The owner must transfer ownership before unsubscribing');
    await this.conversations.removeMembers(group.conversationId, [actorId]);
  }

  /** Admins invite always; other members when the group allows it. The invitee joins at once. */
  async invite(actorId: string, groupId: string, userId: string): Promise<void> {
    const { group, role } = await this.groupFor(actorId, groupId);
    if (!role) throw AppError.forbidden('Only members can invite');
    if (!MANAGERS.includes(role) && !group.membersCanInvite)
      throw AppError.forbidden('Only admins can invite to this group');
    if (!(await this.users.exists(userId))) throw AppError.notFound('User');
    if (await this.blocks.isBlockedEitherWay(actorId, userId))
      throw AppError.forbidden('You cannot invite this user');
    await this.conversations.addMembers(group.conversationId, [userId], { capacity: group.maxMembers });
  }

  /**
   * Mirrors a host system's group: created on first call, renamed, and its members set to exactly
   * `memberIds` (joins and leaves announced). Idempotent; concurrent calls serialise on the group row.
   */
  async mirror(
    externalId: string,
    name: string,
    memberIds: string[],
  ): Promise<{ group: GroupDto; created: boolean }> {
    const unique = [...new Set(memberIds)];
    const result = await this.db.transaction(async (tx) => {
      let group: DeepPartial<Group> | null = await this.groups.lockByExternalId(tx, externalId);
      let created = false;
      if (!group) {
        const id = randomUUID();
        const conversation = await this.conversations.create(
          tx,
          { type: 'group', title: name, groupId: id },
          [],
        );
        group = {
          id,
          name,
          nameKey: name.toLowerCase(),
          visibility: 'private',
          maxMembers: Math.max(500, unique.length),
          externalId,
          conversationId: conversation.id,
        };
        created = true;
      }
      const saved = await this.groups.save(tx, {
        ...group,
        name,
        nameKey: name.toLowerCase(),
        maxMembers: Math.max(group.maxMembers ?? 500, unique.length),
      });
      const change = await this.conversations.setMembersTx(tx, saved.conversationId, new Set(unique));
      return { group: saved, created, change };
    });
    await this.conversations.announce(result.change);
    return { group: await this.view(result.group, null), created: result.created };
  }

  /** Member ids of a group of the tenant (for application pushes). */
  async memberIdsInTenant(tenantId: string, groupId: string): Promise<string[]> {
    const group = await this.groups.findById(groupId);
    if (!group || group.tenantId !== tenantId) throw AppError.notFound('Group');
    return this.access.memberIds(group.conversationId);
  }

  /** The group and the caller's role in it; private groups do not exist for non-members. */
  private async groupFor(
    userId: string,
    groupId: string,
    what = 'Group',
  ): Promise<{ group: Group; role: MemberRole | null }> {
    const group = await this.groups.findById(groupId);
    if (!group) throw AppError.notFound(what);
    const role = await this.access.roleOf(group.conversationId, userId);
    if (!role && group.visibility === 'private') throw AppError.notFound(what);
    return { group, role };
  }

  private requireManager(role: MemberRole | null): void {
    if (!role || !MANAGERS.includes(role)) throw AppError.forbidden('Group owner or admin role required');
  }

  private checkPoster(role: MemberRole | null): void {
    if (!role) throw AppError.forbidden('Subscribe to the topic to post in it');
  }

  /** Keeps the group's tenant (null: none), which never changes, for the sends that follow. */
  private rememberTenant(group: Group): string | null {
    this.tenantOfGroup.set(group.id, { tenantId: group.tenantId ?? null });
    return group.tenantId ?? null;
  }

  private async requireUsers(ids: string[]): Promise<void> {
    const found = new Set((await this.users.findMany(ids)).filter((u) => !u.deactivatedAt).map((u) => u.id));
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) {
      throw AppError.unknownIds('users', missing);
    }
  }

  private async page(
    filter: GroupFilter,
    actorId: string,
    limit: number,
    cursor?: string,
  ): Promise<Page<GroupDto>> {
    const rows = await this.groups.page(filter, limit + 1, cursor);
    const [roles, counts] = await Promise.all([
      this.access.rolesOf(
        actorId,
        rows.map((g) => g.conversationId),
      ),
      this.conversations.memberCounts(rows.map((g) => g.conversationId)),
    ]);
    return toPage(
      rows,
      limit,
      (g) => this.toDto(g, roles.get(g.conversationId) ?? null, counts.get(g.conversationId) ?? 0),
      (g) => encodeCursor([g.nameKey, g.id]),
    );
  }

  private async view(group: Group, role: MemberRole | null, count?: number): Promise<GroupDto> {
    const memberCount =
      count ?? (await this.conversations.memberCounts([group.conversationId])).get(group.conversationId) ?? 0;
    return this.toDto(group, role, memberCount);
  }

  private toDto(g: Group, role: MemberRole | null, memberCount: number): GroupDto {
    return {
      id: g.id,
      name: g.name,
      topic: g.topic,
      visibility: g.visibility,
      membersCanInvite: g.membersCanInvite,
      maxMembers: g.maxMembers,
      memberCount,
      conversationId: g.conversationId,
      tenantId: g.tenantId,
      myRole: role,
      createdAt: g.createdAt.toISOString(),
    };
  }
}
