import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { PresenceService } from '../../src/connections/presence.service.js';
import type { Notification } from '../../src/notifications/jobs.js';
import { NotificationDecider } from '../../src/notifications/notification-decider.js';
import { NotificationsModule } from '../../src/notifications/notifications.module.js';
import { PushDelivery } from '../../src/notifications/push-delivery.js';
import { releaseTestDatabase } from '../support/app.js';
import { MEDIUM_SETUP_MS, type MediumContext, mediumContext } from '../support/medium.js';

/**
 * The decision of a closed window (`notify` job), from database state: whether the user is told,
 * and what. What it decides is read from the `webhook` jobs it adds (nothing delivers them here).
 */
describe('NotificationDecider (medium)', () => {
  let ctx: MediumContext;
  let decider: NotificationDecider;

  beforeAll(async () => {
    ctx = await mediumContext({
      imports: [NotificationsModule],
      env: {
        NOTIFICATION_WEBHOOK_URL: 'http://127.0.0.1:9/hook',
        NOTIFICATION_WEBHOOK_SECRET: 'webhook-secret-0123456789',
      },
      // Delivery jobs stay queued, to be read.
      overrides: [{ provide: PushDelivery, useValue: {} }],
    });
    decider = ctx.get(NotificationDecider);
  }, MEDIUM_SETUP_MS);
  afterAll(async () => {
    await ctx?.close();
    await releaseTestDatabase();
  });

  /** The notifications decided for a user so far, oldest first. */
  const toldTo = async (userId: string): Promise<Notification[]> =>
    (
      await ctx.sql<{ data: { notification: Notification } }>(
        `SELECT data FROM pgboss.job WHERE name = 'webhook' AND data->>'userId' = $1 ORDER BY created_on, (data->'notification'->>'seq')::int`,
        [userId],
      )
    ).map((r) => r.data.notification);
  const decide = (userId: string, conversationId: string) => decider.decide([{ userId, conversationId }]);
  const markOf = async (userId: string, conversationId: string): Promise<number | undefined> => {
    const [row] = await ctx.sql<{ seq: number }>(
      'SELECT notified_seq::int AS seq FROM notification_marks WHERE user_id = $1 AND conversation_id = $2',
      [userId, conversationId],
    );
    return row?.seq;
  };
  const setMuted = (userId: string, conversationId: string, muted: boolean, until: Date | null = null) =>
    ctx.sql(
      'UPDATE conversation_members SET muted = $3, muted_until = $4 WHERE conversation_id = $1 AND user_id = $2',
      [conversationId, userId, muted, until],
    );
  const setSettings = (userId: string, s: { showPreviews?: boolean; doNotDisturbUntil?: Date | null }) =>
    ctx.sql(
      `INSERT INTO notification_settings (user_id, show_previews, do_not_disturb_until) VALUES ($1, $2, $3)
       ON CONFLICT (user_id) DO UPDATE SET show_previews = $2, do_not_disturb_until = $3`,
      [userId, s.showPreviews ?? true, s.doNotDisturbUntil ?? null],
    );

  it('unread since the mark: one notification with the latest preview and the count; the mark moves, so the same job tells nothing again', async () => {
    const a = await ctx.newUser({ displayName: 'Ada Lovelace' });
    const b = await ctx.newUser();
    const conversation = await ctx.newDirect(a, b);
    await ctx.newMessage(conversation, a, 'first');
    await ctx.newMessage(conversation, a, 'second');
    const third = await ctx.newMessage(conversation, a, '  the   third\n');

    await decide(b, conversation);
    expect(await toldTo(b)).toEqual([
      {
        type: 'message',
        conversationId: conversation,
        messageId: third.id,
        seq: 3,
        count: 3,
        title: 'Ada Lovelace',
        body: 'the third',
      },
    ]);
    expect(await markOf(b, conversation)).toBe(3);

    await decider.decide([
      { userId: b, conversationId: conversation },
      { userId: b, conversationId: conversation },
    ]);
    expect(await toldTo(b)).toHaveLength(1);

    // The next window counts only what came after the mark.
    const fourth = await ctx.newMessage(conversation, a, 'fourth');
    await decide(b, conversation);
    expect((await toldTo(b))[1]).toMatchObject({ messageId: fourth.id, seq: 4, count: 1, body: 'fourth' });
    // The sender is not told of their own messages.
    await decide(a, conversation);
    expect(await toldTo(a)).toEqual([]);
  });

  it('what the recipient read before the window closed is not told', async () => {
    const [a, b] = [await ctx.newUser(), await ctx.newUser()];
    const conversation = await ctx.newDirect(a, b);
    const read = await ctx.newMessage(conversation, a, 'read me');
    await ctx.sql(
      'UPDATE conversation_members SET read_seq = $3 WHERE conversation_id = $1 AND user_id = $2',
      [conversation, b, read.seq],
    );
    await decide(b, conversation);
    expect(await toldTo(b)).toEqual([]);
    await ctx.newMessage(conversation, a, 'unread');
    await decide(b, conversation);
    expect(await toldTo(b)).toEqual([expect.objectContaining({ seq: 2, count: 1, body: 'unread' })]);
  });

  it('a muted conversation is not told, then or later; a mute that has ended is', async () => {
    const [a, b] = [await ctx.newUser(), await ctx.newUser()];
    const conversation = await ctx.newDirect(a, b);
    await setMuted(b, conversation, true);
    await ctx.newMessage(conversation, a, 'while muted');
    await decide(b, conversation);
    expect(await toldTo(b)).toEqual([]);

    await setMuted(b, conversation, true, new Date(Date.now() - 1000));
    await ctx.newMessage(conversation, a, 'after the mute');
    await decide(b, conversation);
    expect(await toldTo(b)).toEqual([expect.objectContaining({ seq: 2, count: 1, body: 'after the mute' })]);
  });

  it('do-not-disturb silences every conversation until it ends; without previews the body is not shown', async () => {
    const [a, b] = [await ctx.newUser(), await ctx.newUser()];
    const conversation = await ctx.newDirect(a, b);
    await setSettings(b, { doNotDisturbUntil: new Date(Date.now() + 3_600_000) });
    await ctx.newMessage(conversation, a, 'do not disturb');
    await decide(b, conversation);
    expect(await toldTo(b)).toEqual([]);

    await setSettings(b, { doNotDisturbUntil: new Date(Date.now() - 1000), showPreviews: false });
    const secret = await ctx.newMessage(conversation, a, 'the secret text');
    await decide(b, conversation);
    expect(await toldTo(b)).toEqual([
      expect.objectContaining({ messageId: secret.id, count: 1, body: 'New message' }),
    ]);
  });

  it('a blocked sender is not counted in a group; the others are, with the group’s name as title', async () => {
    const [owner, blocked, b] = [await ctx.newUser(), await ctx.newUser(), await ctx.newUser()];
    const { conversationId } = await ctx.newGroup(owner, [blocked, b], { name: 'Climbers' });
    await ctx.newBlock(b, blocked);
    await ctx.newMessage(conversationId, blocked, 'from the blocked one');
    await decide(b, conversationId);
    expect(await toldTo(b)).toEqual([]);

    await ctx.newMessage(conversationId, blocked, 'blocked again');
    const fromOwner = await ctx.newMessage(conversationId, owner, 'from the owner');
    await ctx.newMessage(conversationId, blocked, 'blocked last');
    await decide(b, conversationId);
    expect(await toldTo(b)).toEqual([
      expect.objectContaining({
        messageId: fromOwner.id,
        seq: fromOwner.seq,
        count: 1,
        title: 'Climbers',
        body: 'from the owner',
      }),
    ]);
    // The blocked sender's messages do not come back in a later window either.
    expect(await markOf(b, conversationId)).toBe(4);
  });

  it('a user active again (a connected session in state active) is not told; an inactive one is', async () => {
    const [a, b] = [await ctx.newUser(), await ctx.newUser()];
    const conversation = await ctx.newDirect(a, b);
    const presence = ctx.get(PresenceService);
    const session = await ctx.newSession(b, 'active');
    const socket = randomUUID();
    expect(await presence.reserve(b, socket, session, 10)).toBe(true);
    await ctx.newMessage(conversation, a, 'you are here');
    await decide(b, conversation);
    expect(await toldTo(b)).toEqual([]);
    await presence.disconnected(b, socket);

    const away = await ctx.newSession(b, 'inactive');
    const awaySocket = randomUUID();
    expect(await presence.reserve(b, awaySocket, away, 10)).toBe(true);
    await ctx.newMessage(conversation, a, 'you are away');
    await decide(b, conversation);
    expect(await toldTo(b)).toEqual([expect.objectContaining({ seq: 2, count: 1, body: 'you are away' })]);
    await presence.disconnected(b, awaySocket);
  });

  it('an application the user muted is not told; one not muted is, under its name', async () => {
    const [owner, b] = [await ctx.newUser(), await ctx.newUser()];
    const payroll = await ctx.newApp(owner, 'Payroll');
    const channel = await ctx.newAppChannel(payroll, b);
    await ctx.newMessage(channel, null, 'payslip', { appId: payroll });
    await decide(b, channel);
    expect(await toldTo(b)).toEqual([
      expect.objectContaining({ title: 'Payroll', body: 'payslip', count: 1 }),
    ]);

    await ctx.sql('INSERT INTO app_mutes (app_id, user_id) VALUES ($1, $2)', [payroll, b]);
    await ctx.newMessage(channel, null, 'another payslip', { appId: payroll });
    await decide(b, channel);
    expect(await toldTo(b)).toHaveLength(1);
  });

  it('one batch decides many windows, each by its own rules', async () => {
    const [a, b, c] = [await ctx.newUser(), await ctx.newUser(), await ctx.newUser()];
    const toB = await ctx.newDirect(a, b);
    const toC = await ctx.newDirect(a, c);
    await ctx.newMessage(toB, a, 'for b');
    await ctx.newMessage(toC, a, 'for c');
    await setMuted(c, toC, true);
    await decider.decide([
      { userId: b, conversationId: toB },
      { userId: c, conversationId: toC },
    ]);
    expect(await toldTo(b)).toEqual([expect.objectContaining({ conversationId: toB, body: 'for b' })]);
    expect(await toldTo(c)).toEqual([]);
  });
});
