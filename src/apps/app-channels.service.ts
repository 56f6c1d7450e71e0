import { Injectable } from '@nestjs/common';
import { ConversationsService } from '../messaging/conversations.service.js';

/**
 * Each application has one read-only channel to each user it pushes to: an `app` conversation
 * keyed `app:<appId>:<userId>` with the user as its only member, opened on the first push.
 */
@Injectable()
export class AppChannelsService {
  constructor(private readonly conversations: ConversationsService) {}

  /** The users' channels of the app (user id → conversation id), opened where missing. */
  async ensure(app: { id: string; name: string }, userIds: string[]): Promise<Map<string, string>> {
    const keyOf = (userId: string) => `app:${app.id}:${userId}`;
    const byKey = await this.conversations.ensureKeyed(
      { type: 'app', title: app.name, appId: app.id },
      userIds.map((userId) => ({ pairKey: keyOf(userId), userId })),
    );
    const out = new Map<string, string>();
    for (const userId of userIds) {
      const conversationId = byKey.get(keyOf(userId));
      if (conversationId) out.set(userId, conversationId);
    }
    return out;
  }
}
