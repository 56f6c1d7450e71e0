import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { TypeOrmModule } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import multer from 'multer';
import { AuthModule } from '../auth/auth.module.js';
import { AppConfig } from '../common/config/app-config.js';
import { UsersModule } from '../users/users.module.js';
import { Attachment, MessageAttachment } from './attachment.entity.js';
import { AttachmentsController } from './attachments.controller.js';
import { AttachmentsService } from './attachments.service.js';
import { ConnectionsController } from './connections.controller.js';
import { ConversationPolicies } from './conversation-policies.js';
import { Conversation } from './conversation.entity.js';
import { ConversationMember } from './conversation-member.entity.js';
import { ConversationsController } from './conversations.controller.js';
import { ConversationsService } from './conversations.service.js';
import { Message } from './message.entity.js';
import { MessagesController } from './messages.controller.js';
import { MessagesService } from './messages.service.js';
import { MessagingGateway } from './messaging.gateway.js';
import { PresenceService } from './presence.service.js';

@Module({
  imports: [
    UsersModule,
    AuthModule,
    TypeOrmModule.forFeature([Conversation, ConversationMember, Message, Attachment, MessageAttachment]),
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
        };
      },
    }),
  ],
  controllers: [MessagesController, ConversationsController, AttachmentsController, ConnectionsController],
  providers: [
    ConversationsService,
    ConversationPolicies,
    MessagesService,
    AttachmentsService,
    PresenceService,
    MessagingGateway,
  ],
  exports: [ConversationsService, ConversationPolicies, MessagesService, PresenceService],
})
export class MessagingModule {}
