import { RefreshToken } from '../auth/refresh-token.entity.js';
import { Session } from '../auth/session.entity.js';
import { App, AppMute } from '../apps/app.entity.js';
import { Group } from '../groups/group.entity.js';
import { Attachment, MessageAttachment } from '../messaging/attachment.entity.js';
import { Conversation } from '../messaging/conversation.entity.js';
import { ConversationDeparture } from '../messaging/conversation-departure.entity.js';
import { ConversationMember } from '../messaging/conversation-member.entity.js';
import { Message } from '../messaging/message.entity.js';
import {
  NotificationMark,
  NotificationSettings,
  PushKey,
} from '../notifications/notification-settings.entity.js';
import { PushSubscription } from '../notifications/push-subscription.entity.js';
import { OrgUnit, OrgUnitMember } from '../orgs/org-unit.entity.js';
import { Tenant, TenantMember, TenantUsage } from '../orgs/tenant.entity.js';
import { ClientKey } from '../updates/client-key.entity.js';
import { Device } from '../updates/device.entity.js';
import { PlatformPolicy, Release } from '../updates/release.entity.js';
import { Block } from '../users/block.entity.js';
import { FriendInvite } from '../users/friend-invite.entity.js';
import { FriendRequest } from '../users/friend-request.entity.js';
import { Friendship } from '../users/friendship.entity.js';
import { User } from '../users/user.entity.js';

/** Every entity of every module; the data source and the migration tooling load this list. */
export const ENTITIES = [
  User,
  FriendRequest,
  Friendship,
  Block,
  Session,
  RefreshToken,
  Conversation,
  ConversationMember,
  ConversationDeparture,
  Message,
  Attachment,
  MessageAttachment,
  Group,
  Tenant,
  TenantMember,
  TenantUsage,
  OrgUnit,
  OrgUnitMember,
  App,
  AppMute,
  Release,
  PlatformPolicy,
  Device,
  ClientKey,
  FriendInvite,
  PushSubscription,
  NotificationSettings,
  NotificationMark,
  PushKey,
];
