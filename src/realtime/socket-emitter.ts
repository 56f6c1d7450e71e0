import { WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import { rooms } from './rooms.js';
import type { PayloadOf, RelayServer, ServerEvent } from './server-events.js';

export interface UserTarget {
  /** Only this node's sockets (the cluster bus already brought the event to every node). */
  localOnly?: boolean;
  /** Leave out one socket (the one that sent, which gets an ack instead). */
  exceptSocket?: string | null;
}

type Emitting = ReturnType<RelayServer['to']>;

/** Socket.IO's emit is typed per call site; here the pairing of event and payload is checked by the public methods. */
function emit<E extends ServerEvent>(to: Emitting, event: E, payload: PayloadOf<E>): void {
  (to.emit as unknown as (event: E, payload: PayloadOf<E>) => boolean).call(to, event, payload);
}

/**
 * The one way the server talks to clients: every emit names an event of {@link ServerEvents} with
 * its payload type, and a target built from server-decided rooms. It also moves sockets between
 * conversation rooms and disconnects them, on every node (through the Socket.IO adapter).
 */
@WebSocketGateway()
export class SocketEmitter {
  @WebSocketServer() private readonly server!: RelayServer;

  /** Every socket of these users (none for an empty list, which Socket.IO would read as everyone). */
  toUsers<E extends ServerEvent>(
    userIds: string[],
    event: E,
    payload: PayloadOf<E>,
    target: UserTarget = {},
  ): void {
    if (userIds.length === 0) return;
    const to = (target.localOnly ? this.server.local : this.server).to(userIds.map(rooms.user));
    emit(target.exceptSocket ? to.except(target.exceptSocket) : to, event, payload);
  }

  /** Every socket in the conversation's room, leaving out one user's own sockets when given. */
  toConversation<E extends ServerEvent>(
    conversationId: string,
    event: E,
    payload: PayloadOf<E>,
    exceptUserIds: Iterable<string> = [],
  ): void {
    const except = [...exceptUserIds].map(rooms.user);
    const to = this.server.to(rooms.conversation(conversationId));
    emit(except.length > 0 ? to.except(except) : to, event, payload);
  }

  toSession<E extends ServerEvent>(sessionId: string, event: E, payload: PayloadOf<E>): void {
    emit(this.server.to(rooms.session(sessionId)), event, payload);
  }

  toPlatform<E extends ServerEvent>(platform: string, event: E, payload: PayloadOf<E>): void {
    emit(this.server.to(rooms.platform(platform)), event, payload);
  }

  /** Every socket connected to this node. */
  toLocal<E extends ServerEvent>(event: E, payload: PayloadOf<E>): void {
    if (this.server) emit(this.server.local, event, payload);
  }

  /** Conversations some socket on this node follows (its conversation rooms here). */
  localConversationIds(): string[] {
    const prefix = rooms.conversation('');
    const ids: string[] = [];
    for (const room of this.server.of('/').adapter.rooms.keys())
      if (room.startsWith(prefix)) ids.push(room.slice(prefix.length));
    return ids;
  }

  joinConversation(userIds: string[], conversationId: string): void {
    if (userIds.length === 0) return;
    this.server.in(userIds.map(rooms.user)).socketsJoin(rooms.conversation(conversationId));
  }

  leaveConversation(userIds: string[], conversationId: string): void {
    if (userIds.length === 0) return;
    this.server.in(userIds.map(rooms.user)).socketsLeave(rooms.conversation(conversationId));
  }

  disconnectSession(sessionId: string): void {
    this.server.in(rooms.session(sessionId)).disconnectSockets(true);
  }

  /**
   * Drops this node's connections at the transport, after what was queued to them is written. A
   * client sees a lost connection ("transport close"), not a server-side disconnect, so
   * socket.io-client reconnects on its own (to another node, or to this one after its restart).
   */
  dropLocalConnections(): void {
    for (const socket of this.server?.of('/').sockets.values() ?? []) socket.conn.close();
  }
}
