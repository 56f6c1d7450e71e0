import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { ErrorCode } from '../../src/common/errors/app-error.js';
import { GroupsModule } from '../../src/groups/groups.module.js';
import { GroupsService } from '../../src/groups/groups.service.js';
import { releaseTestDatabase } from '../support/app.js';
import { MEDIUM_SETUP_MS, type MediumContext, mediumContext } from '../support/medium.js';

/** Who may do what in a group (GroupsService), from groups made in the database. */
describe('group roles (medium)', () => {
  let ctx: MediumContext;
  let groups: GroupsService;

  beforeAll(async () => {
    ctx = await mediumContext({ imports: [GroupsModule] });
    groups = ctx.get(GroupsService);
  }, MEDIUM_SETUP_MS);
  afterAll(async () => {
    await ctx?.close();
    await releaseTestDatabase();
  });

  const refused = (attempt: Promise<unknown>, code: ErrorCode) =>
    expect(attempt).rejects.toMatchObject({ name: 'AppError', code });
  /** The members and their roles, as stored. */
  const rolesIn = async (conversationId: string): Promise<Record<string, string>> =>
    Object.fromEntries(
      (
        await ctx.sql<{ user_id: string; role: string }>(
          'SELECT user_id, role FROM conversation_members WHERE conversation_id = $1',
          [conversationId],
        )
      ).map((r) => [r.user_id, r.role]),
    );
  /** A group with an owner, an admin and a member (and `more` further members). */
  const roles = async (opts: Parameters<MediumContext['newGroup']>[2] = {}, more = 0) => {
    const [owner, admin, member] = [await ctx.newUser(), await ctx.newUser(), await ctx.newUser()];
    const others = await Promise.all(Array.from({ length: more }, () => ctx.newUser()));
    const group = await ctx.newGroup(owner, [member, ...others], { ...opts, admins: [admin] });
    return { owner, admin, member, others, ...group };
  };

  it('owners and admins add members, up to maxMembers; members do not; unknown users are named', async () => {
    const { owner, admin, member, groupId, conversationId } = await roles({ maxMembers: 5 });
    const [x, y, z] = [await ctx.newUser(), await ctx.newUser(), await ctx.newUser()];
    await refused(groups.addMembers(member, groupId, [x]), 'FORBIDDEN');
    expect(await groups.addMembers(admin, groupId, [x])).toEqual([x]);
    expect(await groups.addMembers(owner, groupId, [y])).toEqual([y]);
    await refused(groups.addMembers(owner, groupId, [z]), 'CONFLICT');
    await refused(groups.addMembers(owner, groupId, [randomUUID()]), 'NOT_FOUND');
    expect(await rolesIn(conversationId)).toEqual({
      [owner]: 'owner',
      [admin]: 'admin',
      [member]: 'member',
      [x]: 'member',
      [y]: 'member',
    });
  });

  it('removing: admins remove members, only the owner removes an admin, nobody removes the owner', async () => {
    const { owner, admin, member, others, groupId, conversationId } = await roles({}, 1);
    const [other] = others as [string];
    const admin2 = await ctx.newUser();
    await groups.addMembers(owner, groupId, [admin2]);
    await groups.setRole(owner, groupId, admin2, 'admin');

    await refused(groups.removeMember(member, groupId, other), 'FORBIDDEN');
    await refused(groups.removeMember(admin, groupId, admin2), 'FORBIDDEN');
    await refused(groups.removeMember(admin, groupId, owner), 'FORBIDDEN');
    await groups.removeMember(admin, groupId, other);
    await groups.removeMember(owner, groupId, admin2);
    await refused(groups.removeMember(admin, groupId, other), 'NOT_FOUND');
    expect(await rolesIn(conversationId)).toEqual({ [owner]: 'owner', [admin]: 'admin', [member]: 'member' });
  });

  it('anyone but the owner may leave; the owner leaves only after handing ownership over', async () => {
    const { owner, admin, member, groupId, conversationId } = await roles();
    await groups.removeMember(member, groupId, member);
    await groups.removeMember(admin, groupId, admin);
    await refused(groups.removeMember(owner, groupId, owner), 'CONFLICT');
    expect(await rolesIn(conversationId)).toEqual({ [owner]: 'owner' });

    const heir = await ctx.newUser();
    await groups.addMembers(owner, groupId, [heir]);
    await groups.setRole(owner, groupId, heir, 'owner');
    await groups.removeMember(owner, groupId, owner);
    expect(await rolesIn(conversationId)).toEqual({ [heir]: 'owner' });
  });

  it('only the owner changes roles; making someone owner hands ownership over (the old owner becomes admin)', async () => {
    const { owner, admin, member, groupId, conversationId } = await roles();
    await refused(groups.setRole(admin, groupId, member, 'admin'), 'FORBIDDEN');
    await refused(groups.setRole(member, groupId, member, 'admin'), 'FORBIDDEN');
    await refused(groups.setRole(owner, groupId, owner, 'member'), 'VALIDATION_FAILED');
    await refused(groups.setRole(owner, groupId, await ctx.newUser(), 'admin'), 'NOT_FOUND');

    expect(await groups.setRole(owner, groupId, member, 'admin')).toEqual({ userId: member, role: 'admin' });
    await groups.setRole(owner, groupId, admin, 'member');
    expect(await rolesIn(conversationId)).toEqual({ [owner]: 'owner', [admin]: 'member', [member]: 'admin' });

    await groups.setRole(owner, groupId, member, 'owner');
    expect(await rolesIn(conversationId)).toEqual({ [owner]: 'admin', [admin]: 'member', [member]: 'owner' });
    // The former owner is an admin now: no longer the one who changes roles or deletes.
    await refused(groups.setRole(owner, groupId, admin, 'admin'), 'FORBIDDEN');
    await refused(groups.delete(owner, groupId), 'FORBIDDEN');
    expect((await groups.get(member, groupId)).myRole).toBe('owner');
  });

  it('owners and admins edit the group; only the owner deletes it, with its conversation', async () => {
    const { owner, admin, member, groupId, conversationId } = await roles();
    await refused(groups.update(member, groupId, { name: 'Mine now' }), 'FORBIDDEN');
    expect(await groups.update(admin, groupId, { name: 'Renamed', topic: 'agenda' })).toMatchObject({
      name: 'Renamed',
      topic: 'agenda',
      myRole: 'admin',
    });
    await refused(groups.delete(admin, groupId), 'FORBIDDEN');
    await refused(groups.delete(member, groupId), 'FORBIDDEN');
    await groups.delete(owner, groupId);
    await refused(groups.get(owner, groupId), 'NOT_FOUND');
    expect(await ctx.sql('SELECT 1 FROM conversations WHERE id = $1', [conversationId])).toEqual([]);
  });

  it('a private group does not exist for non-members; they cannot join it or act in it', async () => {
    const { groupId, member } = await roles();
    const stranger = await ctx.newUser();
    await refused(groups.get(stranger, groupId), 'NOT_FOUND');
    await refused(groups.subscribe(stranger, groupId), 'NOT_FOUND');
    await refused(groups.addMembers(stranger, groupId, [stranger]), 'NOT_FOUND');
    await refused(groups.removeMember(stranger, groupId, member), 'NOT_FOUND');
    await refused(groups.invite(stranger, groupId, stranger), 'NOT_FOUND');
  });

  it('public topic: anyone subscribes and unsubscribes, except that the owner cannot unsubscribe; private groups are left another way', async () => {
    const { owner, member, groupId, conversationId } = await roles({ visibility: 'public' });
    const reader = await ctx.newUser();
    await groups.subscribe(reader, groupId);
    await groups.subscribe(reader, groupId);
    expect((await rolesIn(conversationId))[reader]).toBe('member');
    await groups.unsubscribe(reader, groupId);
    expect((await rolesIn(conversationId))[reader]).toBeUndefined();
    await refused(groups.unsubscribe(owner, groupId), 'CONFLICT');
    // Members of a public topic who are not managers still do not manage it.
    await refused(groups.addMembers(member, groupId, [reader]), 'FORBIDDEN');

    const closed = await roles();
    await refused(groups.unsubscribe(closed.member, closed.groupId), 'FORBIDDEN');
  });

  it('invites: managers always, members only when the group allows it, never a user who blocked the inviter (or was blocked)', async () => {
    const closed = await roles();
    const [guest1, guest2, guest3] = [await ctx.newUser(), await ctx.newUser(), await ctx.newUser()];
    await refused(groups.invite(closed.member, closed.groupId, guest1), 'FORBIDDEN');
    await groups.invite(closed.admin, closed.groupId, guest1);
    expect((await rolesIn(closed.conversationId))[guest1]).toBe('member');

    const open = await roles({ membersCanInvite: true });
    await groups.invite(open.member, open.groupId, guest2);
    expect((await rolesIn(open.conversationId))[guest2]).toBe('member');
    await refused(groups.invite(open.owner, open.groupId, randomUUID()), 'NOT_FOUND');
    await ctx.newBlock(guest3, open.owner);
    await refused(groups.invite(open.owner, open.groupId, guest3), 'FORBIDDEN');
    const blockedByMember = await ctx.newUser();
    await ctx.newBlock(open.member, blockedByMember);
    await refused(groups.invite(open.member, open.groupId, blockedByMember), 'FORBIDDEN');

    const topic = await roles({ visibility: 'public' });
    await refused(groups.invite(await ctx.newUser(), topic.groupId, guest1), 'FORBIDDEN');
  });
});
