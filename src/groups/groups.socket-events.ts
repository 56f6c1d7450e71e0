import type { ClientEventSpec } from '../realtime/server-events.js';
import { GroupIdDto, TopicInviteDto } from './dto/group.dto.js';

/** Topic actions, with the same rules as the REST routes. */
export const GROUPS_CLIENT_EVENTS = {
  'topic:subscribe': { payload: GroupIdDto, result: null, summary: 'Join a public topic' },
  'topic:unsubscribe': { payload: GroupIdDto, result: null, summary: 'Leave a topic' },
  'topic:invite': { payload: TopicInviteDto, result: null, summary: 'Invite a user to a private topic' },
} as const satisfies Record<string, ClientEventSpec>;
