// Relay's demo web client: everything goes through the SDK (packages/client).
import {
  type Message,
  RelayClient,
  RelayError,
  type Schemas,
  type SyncState,
  type Tokens,
  unwrap,
} from '../../packages/client/src/index.js';

type Conversation = Schemas['ConversationDto'];
type Friend = Schemas['FriendDto'];

const STORE = 'relay-demo';
const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const saved = JSON.parse(localStorage.getItem(STORE) ?? 'null') as {
  tokens: Tokens | null;
  syncState?: SyncState;
} | null;

const client = new RelayClient({
  baseUrl: location.origin,
  tokens: saved?.tokens,
  syncState: saved?.syncState,
});
const persist = () =>
  localStorage.setItem(STORE, JSON.stringify({ tokens: tokensNow, syncState: client.syncState }));
let tokensNow: Tokens | null = saved?.tokens ?? null;
client.on('tokens', (tokens) => {
  tokensNow = tokens;
  persist();
  if (!tokens) showAuth();
});
client.on('sync-state', persist);

let me: Schemas['MeDto'] | null = null;
const friends = new Map<string, Friend>();
/** Who is online, from `presence` (which may come before the friendship shows in the list). */
const online = new Set<string>();
const conversations = new Map<string, Conversation>();
const history = new Map<string, Message[]>();
/** Other members' read marks: conversation → user → seq. */
const readMarks = new Map<string, Map<string, number>>();
/** The open chat: a conversation, or a friend not yet written to. */
let current: { conversationId: string | null; peerId?: string } | null = null;
let typingTimer: ReturnType<typeof setTimeout> | undefined;
let lastTypingSent = 0;

const errorText = (error: unknown) =>
  error instanceof RelayError ? `${error.code}: ${error.message}` : String(error);
const nameOf = (userId: string | null) =>
  userId === me?.id ? 'me' : (friends.get(userId ?? '')?.displayName ?? userId?.slice(0, 8) ?? 'app');

// ---- signing in ------------------------------------------------------------------------------

function showAuth(): void {
  $('auth').hidden = false;
  $('app').hidden = true;
}

$('auth-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const action = (event.submitter as HTMLButtonElement | null)?.dataset.action;
  const body = {
    username: $<HTMLInputElement>('username').value,
    password: $<HTMLInputElement>('password').value,
  };
  const signIn = action === 'register' ? client.register(body) : client.login(body);
  signIn.then(start, (error: unknown) => ($('auth-error').textContent = errorText(error)));
});

$('logout').addEventListener('click', () => {
  void client.logout().then(() => {
    localStorage.removeItem(STORE);
    location.reload();
  });
});

async function start(): Promise<void> {
  me = await unwrap(client.api.GET('/api/v1/users/me'));
  $('auth').hidden = true;
  $('app').hidden = false;
  $('me').textContent = me.displayName;
  await Promise.all([loadFriends(), loadRequests(), loadConversations()]);
  client.connect();
  setInterval(() => void loadRequests().then(loadFriends), 4000);
}

// ---- friends ---------------------------------------------------------------------------------

async function loadFriends(): Promise<void> {
  const [page, connections] = await Promise.all([
    unwrap(client.api.GET('/api/v1/friends', { params: { query: { limit: 100 } } })),
    // Who is online now: `presence` events only tell what changes after this.
    unwrap(client.api.GET('/api/v1/connections', { params: { query: { limit: 100 } } })),
  ]);
  for (const friend of page.items) friends.set(friend.id, friend);
  for (const c of connections.items) {
    if (c.online) online.add(c.userId);
    else online.delete(c.userId);
  }
  renderFriends();
}

async function loadRequests(): Promise<void> {
  const page = await unwrap(
    client.api.GET('/api/v1/friends/requests', { params: { query: { direction: 'incoming' } } }),
  );
  const list = $('requests');
  list.replaceChildren(
    ...page.items.map((request) => {
      const li = document.createElement('li');
      li.textContent = `Request from ${request.fromUserId.slice(0, 8)} `;
      const accept = document.createElement('button');
      accept.textContent = 'Accept';
      accept.className = 'accept';
      accept.onclick = () =>
        void unwrap(
          client.api.POST('/api/v1/friends/requests/{id}/accept', { params: { path: { id: request.id } } }),
        ).then(async () => {
          li.remove();
          await loadFriends();
        });
      li.append(accept);
      return li;
    }),
  );
}

function renderFriends(): void {
  $('friends').replaceChildren(
    ...[...friends.values()].map((friend) => {
      const li = document.createElement('li');
      li.dataset.userId = friend.id;
      li.className = 'friend';
      const check = Object.assign(document.createElement('input'), { type: 'checkbox', value: friend.id });
      const dot = Object.assign(document.createElement('span'), {
        className: `dot${online.has(friend.id) ? ' online' : ''}`,
      });
      const name = document.createElement('a');
      name.href = '#';
      name.textContent = friend.displayName;
      name.onclick = (event) => {
        event.preventDefault();
        const direct = [...conversations.values()].find((c) => c.type === 'direct' && c.peerId === friend.id);
        void open(direct ? { conversationId: direct.id } : { conversationId: null, peerId: friend.id });
      };
      li.append(check, dot, name);
      return li;
    }),
  );
}

$('add-friend').addEventListener('submit', (event) => {
  event.preventDefault();
  const username = $<HTMLInputElement>('friend-name').value.trim();
  void (async () => {
    const found = await unwrap(client.api.GET('/api/v1/users', { params: { query: { search: username } } }));
    const user = found.items.find((u) => u.username === username);
    if (!user) throw new RelayError('NOT_FOUND', `No user ${username}`);
    await unwrap(client.api.POST('/api/v1/friends/requests', { body: { userId: user.id } }));
    $<HTMLInputElement>('friend-name').value = '';
  })().catch((error: unknown) => ($('chat-error').textContent = errorText(error)));
});

$('new-group').addEventListener('submit', (event) => {
  event.preventDefault();
  const memberIds = [...document.querySelectorAll<HTMLInputElement>('#friends input:checked')].map(
    (c) => c.value,
  );
  const name = $<HTMLInputElement>('group-name').value.trim() || 'New group';
  void unwrap(client.api.POST('/api/v1/groups', { body: { name, memberIds } }))
    .then(async (group) => {
      await loadConversations();
      await open({ conversationId: group.conversationId });
    })
    .catch((error: unknown) => ($('chat-error').textContent = errorText(error)));
});

// ---- conversations ---------------------------------------------------------------------------

async function loadConversations(): Promise<void> {
  const page = await unwrap(client.api.GET('/api/v1/conversations', { params: { query: { limit: 100 } } }));
  for (const conversation of page.items) conversations.set(conversation.id, conversation);
  renderConversations();
}

function titleOf(conversation: Conversation): string {
  if (conversation.type === 'direct')
    return friends.get(conversation.peerId ?? '')?.displayName ?? 'Direct chat';
  return conversation.title ?? conversation.type;
}

function renderConversations(): void {
  const sorted = [...conversations.values()].sort((a, b) =>
    (b.lastMessage?.createdAt ?? '').localeCompare(a.lastMessage?.createdAt ?? ''),
  );
  $('conversations').replaceChildren(
    ...sorted.map((conversation) => {
      const li = document.createElement('li');
      li.dataset.conversationId = conversation.id;
      li.className = conversation.id === current?.conversationId ? 'active' : '';
      li.textContent = `${titleOf(conversation)} `;
      if (conversation.unread > 0) {
        li.append(
          Object.assign(document.createElement('span'), {
            className: 'unread',
            textContent: String(conversation.unread),
          }),
        );
      }
      li.onclick = () => void open({ conversationId: conversation.id });
      return li;
    }),
  );
}

async function open(target: { conversationId: string | null; peerId?: string }): Promise<void> {
  current = target;
  $('composer').hidden = false;
  $('typing').textContent = '';
  $('chat-error').textContent = '';
  const conversation = target.conversationId ? conversations.get(target.conversationId) : undefined;
  $('chat-title').textContent = conversation
    ? titleOf(conversation)
    : (friends.get(target.peerId ?? '')?.displayName ?? '');
  if (target.conversationId && !history.has(target.conversationId)) {
    const page = await unwrap(
      client.api.GET('/api/v1/conversations/{id}/messages', {
        params: { path: { id: target.conversationId }, query: { limit: 50 } },
      }),
    );
    const known = history.get(target.conversationId) ?? [];
    history.set(target.conversationId, merge(page.items, known));
  }
  renderMessages();
  renderConversations();
  markRead();
}

function merge(a: Message[], b: Message[]): Message[] {
  const byId = new Map([...a, ...b].map((m) => [m.id, m]));
  return [...byId.values()].sort((x, y) => x.seq - y.seq);
}

function renderMessages(): void {
  const id = current?.conversationId;
  const messages = id ? (history.get(id) ?? []) : [];
  const marks = readMarks.get(id ?? '') ?? new Map<string, number>();
  const readUpTo = Math.max(
    0,
    ...[...marks.entries()].filter(([user]) => user !== me?.id).map(([, seq]) => seq),
  );
  $('messages').replaceChildren(
    ...messages.map((message) => {
      const li = document.createElement('li');
      li.dataset.id = message.id;
      li.dataset.seq = String(message.seq);
      li.className = message.senderId === me?.id ? 'mine' : 'theirs';
      const text = Object.assign(document.createElement('div'), {
        className: 'body',
        textContent: message.deletedAt ? '(deleted)' : message.body,
      });
      li.append(text);
      for (const attachment of message.attachments) {
        const link = document.createElement('button');
        link.className = 'attachment';
        link.textContent = `📎 ${attachment.name ?? attachment.mime} (${attachment.size} bytes)`;
        link.onclick = () => void download(attachment.id, attachment.name ?? 'file');
        li.append(link);
      }
      const meta = Object.assign(document.createElement('div'), {
        className: 'meta',
        textContent: `${nameOf(message.senderId)} · ${new Date(message.createdAt).toLocaleTimeString()}${message.editedAt ? ' · edited' : ''}`,
      });
      if (message.senderId === me?.id && message.seq <= readUpTo)
        meta.append(
          Object.assign(document.createElement('span'), { className: 'read', textContent: ' · read' }),
        );
      li.append(meta);
      return li;
    }),
  );
  $('messages').scrollTop = $('messages').scrollHeight;
}

function markRead(): void {
  const id = current?.conversationId;
  const last = id ? history.get(id)?.at(-1) : undefined;
  if (!id || !last || document.hidden) return;
  const conversation = conversations.get(id);
  if (conversation) conversation.unread = 0;
  void client.request('conversation:read', { conversationId: id, seq: last.seq }).catch(() => undefined);
}

async function download(id: string, name: string): Promise<void> {
  const { data } = await client.api.GET('/api/v1/attachments/{id}', {
    params: { path: { id } },
    parseAs: 'blob',
  });
  if (!data) return;
  const url = URL.createObjectURL(data);
  Object.assign(document.createElement('a'), { href: url, download: name }).click();
  URL.revokeObjectURL(url);
}

// ---- sending ---------------------------------------------------------------------------------

$('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>('body');
  const fileInput = $<HTMLInputElement>('file');
  const body = input.value;
  const file = fileInput.files?.[0];
  if (!current || (!body && !file)) return;
  input.value = '';
  fileInput.value = '';
  const target = current;
  void (async () => {
    const attachments = file ? [{ id: (await upload(file)).id }] : undefined;
    const type = file ? (file.type.startsWith('image/') ? 'image' : 'file') : 'text';
    const message = await client.send({
      ...(target.conversationId
        ? { conversationId: target.conversationId }
        : { to: { type: 'user', id: target.peerId! } }),
      type,
      body,
      attachments,
    });
    if (!target.conversationId) {
      target.conversationId = message.conversationId;
      await loadConversations();
    }
    addMessage(message);
  })().catch((error: unknown) => ($('chat-error').textContent = errorText(error)));
});

async function upload(file: File): Promise<Schemas['AttachmentDto']> {
  const form = new FormData();
  form.append('file', file, file.name);
  return unwrap(
    client.api.POST('/api/v1/attachments', {
      body: form as never,
      bodySerializer: (body: unknown) => body as FormData,
    }),
  );
}

$('body').addEventListener('input', () => {
  const id = current?.conversationId;
  if (!id || Date.now() - lastTypingSent < 2000) return;
  lastTypingSent = Date.now();
  void client.request('typing', { conversationId: id, typing: true }).catch(() => undefined);
});

// ---- live events (the SDK delivers each message once, synced ones too) -------------------------

function addMessage(message: Message): void {
  history.set(message.conversationId, merge(history.get(message.conversationId) ?? [], [message]));
  const conversation = conversations.get(message.conversationId);
  if (conversation) {
    conversation.lastMessage = message;
    conversation.lastSeq = Math.max(conversation.lastSeq, message.seq);
    if (message.conversationId !== current?.conversationId && message.senderId !== me?.id)
      conversation.unread++;
  } else {
    void loadConversations();
  }
  if (message.conversationId === current?.conversationId) {
    renderMessages();
    markRead();
  }
  renderConversations();
}

client.on('message:new', addMessage);
client.on('message:updated', addMessage);
client.on('message:deleted', addMessage);
client.on('conversation:joined', (conversation) => {
  conversations.set(conversation.id, conversation);
  renderConversations();
});
client.on('conversation:left', ({ conversationId }) => {
  conversations.delete(conversationId);
  renderConversations();
});
client.on('typing', ({ conversationId, userId, typing }) => {
  if (conversationId !== current?.conversationId) return;
  clearTimeout(typingTimer);
  $('typing').textContent = typing ? `${nameOf(userId)} is typing…` : '';
  if (typing) typingTimer = setTimeout(() => ($('typing').textContent = ''), 4000);
});
client.on('receipt', ({ conversationId, userId, readSeq }) => {
  if (readSeq === undefined) return;
  let marks = readMarks.get(conversationId);
  if (!marks) readMarks.set(conversationId, (marks = new Map<string, number>()));
  marks.set(userId, Math.max(marks.get(userId) ?? 0, readSeq));
  if (conversationId === current?.conversationId) renderMessages();
});
client.on('presence', (presence) => {
  if (presence.online) online.add(presence.userId);
  else online.delete(presence.userId);
  if (friends.has(presence.userId)) renderFriends();
  else void loadFriends(); // a new friend
});
client.on('connection', ({ connected }) => {
  $('connection').textContent = connected ? 'online' : 'offline';
  $('connection').className = `status${connected ? ' online' : ''}`;
});
client.on('synced', () => ($('connection').dataset.synced = String(Date.now())));
document.addEventListener('visibilitychange', markRead);

// ---- Web Push opt-in -------------------------------------------------------------------------

$('push').addEventListener('click', () => {
  void (async () => {
    if (!('serviceWorker' in navigator) || !('PushManager' in window))
      throw new Error('This browser has no Web Push');
    const { publicKey } = await unwrap(client.api.GET('/api/v1/push/vapid-public-key'));
    if ((await Notification.requestPermission()) !== 'granted')
      throw new Error('Notifications were not allowed');
    const registration = await navigator.serviceWorker.register('/demo/sw.js', { scope: '/demo/' });
    const subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: publicKey,
    });
    const { endpoint, keys } = subscription.toJSON();
    await unwrap(
      client.api.POST('/api/v1/push-subscriptions', {
        body: { kind: 'webpush', endpoint, keys: { p256dh: keys!.p256dh, auth: keys!.auth } },
      }),
    );
    $('push-status').textContent = 'Notifications on for this browser';
  })().catch((error: unknown) => ($('push-status').textContent = `Notifications: ${errorText(error)}`));
});

if (saved?.tokens) void start().catch(showAuth);
