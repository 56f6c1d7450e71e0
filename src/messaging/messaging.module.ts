import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import multer from 'multer';
import { AuthModule } from '../auth/auth.module.js';
import { ConnectionsModule } from '../connections/connections.module.js';
import { AppConfig } from '../common/config/app-config.js';
import { UsersModule } from '../users/users.module.js';
import { AttachmentsController } from './attachments.controller.js';
import { AttachmentsRepository } from './attachments.repository.js';
import { AttachmentsService } from './attachments.service.js';
import { ConversationAccess } from './conversation-access.service.js';
import { ConversationDigest } from './conversation-digest.js';
import { ConversationFacts } from './conversation-facts.js';
import { ConversationsController } from './conversations.controller.js';
import { ConversationsRepository } from './conversations.repository.js';
import { ConversationsService } from './conversations.service.js';
import { DeliveryFanout } from './delivery.fanout.js';
import { DirectPolicy } from './direct.policy.js';
import { HistoryService } from './history.service.js';
import { InboxRepository } from './inbox.repository.js';
import { InboxService } from './inbox.service.js';
import { KeyedConversationsRepository } from './keyed-conversations.repository.js';
import { MembershipRepository } from './membership.repository.js';
import { MessageStore } from './message.store.js';
import { MessageTargets } from './message-targets.js';
import { MessageWriter } from './message-writer.js';
import { MessagesController } from './messages.controller.js';
import { MessagesService } from './messages.service.js';
import { MessagingGateway } from './messaging.gateway.js';
import { ReceiptsService } from './receipts.service.js';

@Module({
  imports: [
    UsersModule,
    AuthModule,
    ConnectionsModule,
    MulterModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        const tmp = join(config.dataDir, 'tmp');
        mkdirSync(tmp, { recursive: true });
        return {
          // Streamed to disk under a generated name; the client's file name is never a path.
          storage: multer.diskStorage({
            destination: tmp,
            filename: (_req, _file, cb) => cb(null, randomUUID()),
          }),
          limits: { fileSize: config.limits.attachmentBytes, files: 1, fields: 10, parts: 12 },
          // Browsers send file names in UTF-8 without saying so; busboy's default reads them as Latin-1.
          defParamCharset: 'utf8',
        };
      },
    }),
  ],
  controllers: [MessagesController, ConversationsController, AttachmentsController],
  providers: [
    ConversationsRepository,
    MembershipRepository,
    InboxRepository,
    KeyedConversationsRepository,
    MessageStore,
    MessageWriter,
    AttachmentsRepository,
    ConversationFacts,
    ConversationAccess,
    ConversationsService,
    DirectPolicy,
    InboxService,
    ConversationDigest,
    ReceiptsService,
    MessageTargets,
    MessagesService,
    HistoryService,
    AttachmentsService,
    DeliveryFanout,
    MessagingGateway,
  ],
  exports: [ConversationAccess, ConversationsService, ConversationDigest, MessagesService, MessageStore],
})
export class MessagingModule {}
