import { Global, Module } from '@nestjs/common';
import { SocketEmitter } from './socket-emitter.js';
import { SocketRouter } from './socket-router.js';

/**
 * The Socket.IO server's typed side: the server-to-client event map and the one emitter over it,
 * and the router that hands client events to the modules that registered them.
 */
@Global()
@Module({ providers: [SocketEmitter, SocketRouter], exports: [SocketEmitter, SocketRouter] })
export class RealtimeModule {}
