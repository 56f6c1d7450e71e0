import { Logger, type OnModuleInit } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import { type Admission, AdmissionPipeline, refusal } from '../connections/admission.js';
import { AppConfig } from '../common/config/app-config.js';
import { OnDomainEvent } from '../common/events/domain-events.js';
import { rooms } from '../realtime/rooms.js';
import { SocketEmitter } from '../realtime/socket-emitter.js';
import { ClientKeysService } from './client-keys.service.js';
import { sha256Hex } from './client-signature.js';
import { ReleasePublishedEvent } from './events/release-published.event.js';
import { PLATFORM_PATTERN } from './version.js';

/**
 * The socket side of client updates: its steps of socket admission (the handshake signature with
 * SIGNATURE_REQUIRED, the room of the platform a client names in `auth.platform`) and
 * `update:available` for clients of a platform.
 */
@WebSocketGateway()
export class UpdatesGateway implements OnModuleInit {
  private readonly logger = new Logger(UpdatesGateway.name);

  constructor(
    private readonly admission: AdmissionPipeline,
    private readonly keys: ClientKeysService,
    private readonly emitter: SocketEmitter,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    if (this.config.signatureRequired)
      this.admission.register('signature', 'client signature', (a) => this.verifySignature(a));
    this.admission.register('rooms', 'platform', async ({ socket }) => {
      const platform = (socket.handshake.auth as { platform?: unknown } | undefined)?.platform;
      if (typeof platform === 'string' && PLATFORM_PATTERN.test(platform))
        await socket.join(rooms.platform(platform));
    });
  }

  /** The handshake signed with a client key, over `GET /socket.io` and an empty body; each nonce once. */
  private async verifySignature({ socket }: Admission): Promise<void> {
    const auth = (socket.handshake.auth ?? {}) as { signature?: Record<string, unknown> };
    const s = auth.signature ?? {};
    try {
      await this.keys.verify({
        keyId: s.keyId,
        timestamp: s.timestamp,
        nonce: s.nonce,
        signature: s.signature,
        method: 'GET',
        path: '/socket.io',
        bodySha256: sha256Hex(''),
      });
    } catch (error) {
      throw refusal('SIGNATURE_INVALID', error);
    }
  }

  @OnDomainEvent(ReleasePublishedEvent.event)
  onPublished(e: ReleasePublishedEvent): void {
    this.emitter.toPlatform(e.release.platform, 'update:available', e.release);
    this.logger.log(`Release ${e.release.platform} ${e.release.version} published`);
  }
}
