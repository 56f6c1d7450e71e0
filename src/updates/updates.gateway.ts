import { Logger } from '@nestjs/common';
import { type OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import { AppConfig } from '../common/config/app-config.js';
import { OnDomainEvent } from '../common/events/domain-events.js';
import { rooms } from '../realtime/rooms.js';
import type { RelayServer, RelaySocket } from '../realtime/server-events.js';
import { SocketEmitter } from '../realtime/socket-emitter.js';
import { ClientKeysService } from './client-keys.service.js';
import { sha256Hex } from './client-signature.js';
import { ReleasePublishedEvent } from './events/release-published.event.js';
import { PLATFORM_PATTERN } from './version.js';

/**
 * The socket side of client updates: the handshake signature (with SIGNATURE_REQUIRED) and
 * `update:available` for clients of a platform (they name it in `auth.platform`).
 */
@WebSocketGateway()
export class UpdatesGateway implements OnGatewayInit<RelayServer> {
  private readonly logger = new Logger(UpdatesGateway.name);

  constructor(
    private readonly keys: ClientKeysService,
    private readonly emitter: SocketEmitter,
    private readonly config: AppConfig,
  ) {}

  afterInit(server: RelayServer): void {
    server.use((socket, next) => {
      this.admit(socket).then(
        () => next(),
        () => next(new Error('SIGNATURE_INVALID')),
      );
    });
  }

  private async admit(socket: RelaySocket): Promise<void> {
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
      await socket.join(rooms.platform(auth.platform));
  }

  @OnDomainEvent(ReleasePublishedEvent.event)
  onPublished(e: ReleasePublishedEvent): void {
    this.emitter.toPlatform(e.release.platform, 'update:available', e.release);
    this.logger.log(`Release ${e.release.platform} ${e.release.version} published`);
  }
}
