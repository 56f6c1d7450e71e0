import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ConversationAccess } from '../messaging/conversation-access.service.js';

/**
 * Application channels (see `AppChannelsService`) are read-only: only their application
 * pushes into them, and clients cannot address them with `to`.
 */
@Injectable()
export class AppChannelPolicy implements OnModuleInit {
  constructor(private readonly access: ConversationAccess) {}

  onModuleInit(): void {
    this.access.registerPolicy({ kind: 'app', readOnly: 'Application channels are read-only' });
  }
}
