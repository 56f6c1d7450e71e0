#!/usr/bin/env node
/**
 * The yardstick: a minimal Socket.IO relay with no storage, no validation and no access control.
 * A client authenticates with `auth: {userId, rooms?}`, joins `user:<id>` (and `room:<id>` for each
 * room), and `message:send` {to | conversationId, body, clientMsgId} is emitted to that room as
 * `message:new` and acked. `sync` answers an empty result. Whatever Relay spends beyond this is the
 * price of persistence, ordering and authorisation.
 *
 *   PORT=4000 node bench/bare-relay.mjs
 */
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Server } from 'socket.io';

const port = Number(process.env.PORT ?? 4000);
const http = createServer((req, res) => {
  res.writeHead(req.url === '/readyz' ? 200 : 404).end();
});
const io = new Server(http, { transports: ['websocket'], serveClient: false });
const seqs = new Map();

io.use((socket, next) => {
  const { userId } = socket.handshake.auth ?? {};
  if (typeof userId !== 'string' || userId.length === 0) return next(new Error('UNAUTHORIZED'));
  next();
});

io.on('connection', (socket) => {
  const { userId, rooms = [] } = socket.handshake.auth;
  socket.join([`user:${userId}`, ...rooms.map((r) => `room:${r}`)]);
  socket.on('message:send', (payload, ack) => {
    if (typeof ack !== 'function') return;
    const room = payload?.conversationId ? `room:${payload.conversationId}` : `user:${payload?.to?.id}`;
    const conversationId = payload?.conversationId ?? room;
    const seq = (seqs.get(conversationId) ?? 0) + 1;
    seqs.set(conversationId, seq);
    const message = {
      id: randomUUID(),
      conversationId,
      seq,
      senderId: userId,
      body: payload?.body,
      clientMsgId: payload?.clientMsgId,
      createdAt: new Date().toISOString(),
    };
    socket.to(room).except(`user:${userId}`).emit('message:new', message);
    ack({ ok: true, data: message });
  });
  socket.on('sync', (_payload, ack) => {
    if (typeof ack === 'function') ack({ ok: true, data: { conversations: [], hasMore: false } });
  });
});

http.listen(port, '127.0.0.1', () => process.stderr.write(`bare relay on ${port}\n`));
process.on('SIGTERM', () => {
  io.close();
  http.close(() => process.exit(0));
});
