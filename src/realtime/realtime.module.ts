import { Global, Module } from '@nestjs/common';
import { SocketEmitter } from './socket-emitter.js';

/** The Socket.IO server's typed side: the server-to-client event map and the one emitter over it. */
@Global()
@Module({ providers: [SocketEmitter], exports: [SocketEmitter] })
export class RealtimeModule {}
