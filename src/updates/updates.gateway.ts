import { Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { type OnGatewayInit, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import { AppConfig } from '../common/config/app-config.js';
import { ClientKeysService } from './client-keys.service.js';
import { sha256Hex } from './client-signature.js';
import { ReleasePublishedEvent } from './releases.service.js';
import { PLATFORM_PATTERN } from './version.js';

const platformRoom = (p: string) => `platform:${p}`;

/**
 * The socket side of client updates: the handshake signature (with SIGNATURE_REQUIRED) and
 * `update:available` for clients of a platform (they name it in `auth.platform`).
 */
@WebSocketGateway()
export class UpdatesGateway implements OnGatewayInit {
  @WebSocketServer() private readonly server!: Server;
  private readonly logger = new Logger(UpdatesGateway.name);

  constructor(
    private readonly keys: ClientKeysService,
    private readonly config: AppConfig,
  ) {}

  afterInit(server: Server): void {
    server.use((socket: Socket, next) => {
      this.admit(socket).then(
        () => next(),
        () => next(new Error('SIGNATURE_INVALID')),
      );
    });
  }

  private async admit(socket: Socket): Promise<void> {
    const auth = (socket.handshake.auth ?? {}) as { signature?: Record<string, unknown>; platform?: unknown };
    if (this.config.signatureRequired) {
      const s = auth.signature ?? {};
      await this.keys.verify({
        keyId: s.keyId,
        timestamp: s.timestamp,
        nonce: s.nonce,
        signature: s.signature,
        method: 'GET',
        path: '/socket.io',
        bodySha256: sha256Hex(''),
      });
    }
    if (typeof auth.platform === 'string' && PLATFORM_PATTERN.test(auth.platform))
      await socket.join(platformRoom(auth.platform));
  }

  @OnEvent(ReleasePublishedEvent.event)
  onPublished(e: ReleasePublishedEvent): void {
    this.server.to(platformRoom(e.release.platform)).emit('update:available', e.release);
    this.logger.log(`Release ${e.release.platform} ${e.release.version} published`);
  }
}
