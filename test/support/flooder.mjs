// A hostile client in a process of its own: sends message:send as fast as the server answers,
// `concurrency` at a time, for `ms`, then prints how many were accepted and refused.
import { io } from 'socket.io-client';

const [url, token, conversationId, ms, concurrency] = process.argv.slice(2);
const socket = io(url, { transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
await new Promise((resolve, reject) => {
  socket.once('connect', resolve);
  socket.once('connect_error', reject);
});
const until = Date.now() + Number(ms);
let accepted = 0;
let refused = 0;
let n = 0;
await Promise.all(
  Array.from({ length: Number(concurrency) }, async () => {
    while (Date.now() < until) {
      const ack = await socket
        .timeout(5000)
        .emitWithAck('message:send', {
          conversationId,
          body: 'flood',
          clientMsgId: `flood-${process.pid}-${n++}`,
        })
        .catch(() => ({ ok: false }));
      if (ack.ok) accepted++;
      else refused++;
    }
  }),
);
socket.close();
process.stdout.write(JSON.stringify({ accepted, refused }));
