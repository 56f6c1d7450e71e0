import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { UsersModule } from '../users/users.module.js';
import { AdmissionPipeline } from './admission.js';
import { ConnectionsController } from './connections.controller.js';
import { ConnectionsGateway } from './connections.gateway.js';
import { PresenceNotifier } from './presence.notifier.js';
import { PresenceService } from './presence.service.js';
import { SocketLifetime } from './socket-lifetime.js';

/**
 * The socket transport: one ordered admission whose steps modules register, a socket's lifetime,
 * presence (who is online, across nodes, and telling friends), the session's socket events and
 * the drain of a stopping node. Messaging, updates and later modules build on it; it knows none
 * of them.
 */
@Module({
  imports: [UsersModule, AuthModule],
  controllers: [ConnectionsController],
  providers: [AdmissionPipeline, PresenceService, PresenceNotifier, SocketLifetime, ConnectionsGateway],
  exports: [AdmissionPipeline, PresenceService],
})
export class ConnectionsModule {}
