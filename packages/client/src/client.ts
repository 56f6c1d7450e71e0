import createFetchClient, { type Client } from 'openapi-fetch';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { RelayError } from './errors.js';
import type { components, paths } from './generated/openapi.js';
import { type ClientEvents, SERVER_EVENT_NAMES, type ServerEvents } from './generated/socket-events.js';

export type Schemas = components['schemas'];
export type Message = Schemas['MessageDto'];
export type SyncResult = Schemas['SyncResultDto'];
export type MessageDraft = Omit<Schemas['SendMessageDto'], 'clientMsgId'> & { clientMsgId?: string };

export interface Tokens {
  accessToken: string;
  refreshToken: string;
}

/** Where the client stands in every conversation: resume from here after being away. */
export interface SyncState {
  /** The highest seq received in order, per conversation. */
  cursors: Record<string, number>;
  /** The token of the last sync: the next one also reports edits, deletions and departures since. */
  syncToken?: string;
}

/** What a listener may hear: every server event, and the client's own. */
export type RelayEvents = ServerEvents & {
  /** A sync finished (after every (re)connection, or when asked): what it brought. */
  synced: SyncResult;
  /** The socket connected or lost its connection (it reconnects by itself). */
  connection: { connected: boolean; reason?: string };
  /** New tokens (refreshed or signed in), or null when signed out or the session ended. */
  tokens: Tokens | null;
  /** The state to persist for the next start (`syncState` option). */
  'sync-state': SyncState;
};

export interface RelayClientOptions {
  /** Relay's origin, e.g. https://relay.example.com */
  baseUrl: string;
  /** Tokens kept from an earlier start (listen to `tokens` to keep them). */
  tokens?: Tokens | null;
  /** Sync state kept from an earlier start (listen to `sync-state` to keep it). */
  syncState?: SyncState;
  /** How long an ack may take before the call fails TIMEOUT (sends are then retried). Default 10 s. */
  ackTimeoutMs?: number;
  /** How long a send keeps being retried (same clientMsgId) before it fails. Default 60 s. */
  sendTimeoutMs?: number;
  /** Extra socket.io-client options. */
  socket?: Partial<ManagerOptions & SocketOptions>;
  fetch?: typeof fetch;
}

type Listener<E extends keyof RelayEvents> = (payload: RelayEvents[E]) => void;

const AUTH_PATHS = ['/auth/login', '/auth/register', '/auth/refresh'];
/** How many message ids are remembered to drop repeats (a message seen live and again by sync). */
const SEEN_LIMIT = 10_000;

/**
 * Relay's client: typed REST (`api`, from the OpenAPI document) and a typed socket, which:
 * refreshes tokens (REST on a 401, the socket on `session:expiring`); syncs after every
 * (re)connection from the cursors and syncToken it keeps; retries sends that were not
 * acknowledged with their clientMsgId (Relay stores a retry once); delivers each `message:new`
 * once (by id); reports every failure as a {@link RelayError}.
 */
export class RelayClient {
  /** Every REST route, typed: `client.api.GET('/api/v1/friends')`. Tokens are added and refreshed. */
  readonly api: Client<paths>;
  private tokens: Tokens | null;
  private state: SyncState;
  private socket: Socket | null = null;
  private refreshing: Promise<Tokens | null> | null = null;
  private syncing: Promise<SyncResult> | null = null;
  private readonly listeners = new Map<keyof RelayEvents, Set<(payload: never) => void>>();
  private readonly seen = new Set<string>();
  private readonly fetchFn: typeof fetch;
  private readonly ackTimeoutMs: number;
  private readonly sendTimeoutMs: number;
  private sendsInFlight = 0;

  constructor(private readonly options: RelayClientOptions) {
    this.tokens = options.tokens ?? null;
    this.state = {
      cursors: { ...(options.syncState?.cursors ?? {}) },
      syncToken: options.syncState?.syncToken,
    };
    this.fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    this.sendTimeoutMs = options.sendTimeoutMs ?? 60_000;
    this.api = createFetchClient<paths>({
      baseUrl: options.baseUrl,
      fetch: (request) => this.authorizedFetch(request),
    });
  }

  get signedIn(): boolean {
    return this.tokens !== null;
  }

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  /** Sends still waiting for their ack (retried until acked or `sendTimeoutMs`). */
  get pendingSends(): number {
    return this.sendsInFlight;
  }

  get syncState(): SyncState {
    return { cursors: { ...this.state.cursors }, syncToken: this.state.syncToken };
  }

  on<E extends keyof RelayEvents>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  // ---- accounts -------------------------------------------------------------------------------

  async register(body: Schemas['RegisterDto']): Promise<Schemas['AuthResultDto']> {
    const result = await unwrap(this.api.POST('/api/v1/auth/register', { body }));
    this.setTokens(result);
    return result;
  }

  async login(body: Schemas['LoginDto']): Promise<Schemas['AuthResultDto']> {
    const result = await unwrap(this.api.POST('/api/v1/auth/login', { body }));
    this.setTokens(result);
    return result;
  }

  /** Ends the session on the server, closes the socket and forgets the tokens. */
  async logout(): Promise<void> {
    if (this.tokens) await this.api.POST('/api/v1/auth/logout', {}).catch(() => undefined);
    this.disconnect();
    this.setTokens(null);
  }

  /** A new token pair from the refresh token (one at a time); null when the session is over. */
  refreshTokens(): Promise<Tokens | null> {
    this.refreshing ??= (async () => {
      const refreshToken = this.tokens?.refreshToken;
      if (!refreshToken) return null;
      const response = await this.fetchFn(`${this.options.baseUrl}/api/v1/auth/refresh`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ refreshToken }),
      }).catch(() => null);
      if (!response) throw new RelayError('NETWORK', 'Relay could not be reached');
      if (response.status === 401) {
        this.setTokens(null);
        return null;
      }
      if (!response.ok) throw RelayError.from(await response.json().catch(() => null), response.status);
      const pair = (await response.json()) as Tokens;
      this.setTokens(pair);
      return pair;
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  // ---- the socket -----------------------------------------------------------------------------

  /** Opens the socket (it reconnects by itself, and syncs after every connection). */
  connect(): void {
    if (this.socket) return;
    const socket = io(this.options.baseUrl, {
      path: '/socket.io',
      // The token is read at every (re)connection, so a reconnect uses the current one.
      auth: (callback) => callback({ token: this.tokens?.accessToken ?? '' }),
      ...this.options.socket,
    });
    this.socket = socket;
    socket.on('connect', () => {
      this.dispatch('connection', { connected: true });
      void this.sync().catch(() => undefined); // failures surface as the next sync's; a reconnect retries
    });
    socket.on('disconnect', (reason) => {
      this.dispatch('connection', { connected: false, reason });
      // Relay closed it (the token ended unrefreshed): with a fresh token, connect again. A revoked
      // session has no tokens left (`session:revoked`), so it stays closed.
      if (reason === 'io server disconnect') void this.reconnectAfterRefresh(socket);
    });
    socket.on('connect_error', (error) => void this.recoverHandshake(socket, error));
    for (const event of SERVER_EVENT_NAMES) {
      socket.on(event, (payload: unknown) => this.receive(event, payload as never));
    }
  }

  disconnect(): void {
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
    this.socket = null;
  }

  /**
   * Sends a message and resolves with it as stored. Until acked it is retried (after reconnects,
   * and when Relay asks to wait) with the same clientMsgId, so it is stored once.
   */
  async send(draft: MessageDraft): Promise<Message> {
    if (!this.socket) throw new RelayError('NETWORK', 'Call connect() before send()');
    const payload = { ...draft, clientMsgId: draft.clientMsgId ?? crypto.randomUUID() };
    const deadline = Date.now() + this.sendTimeoutMs;
    this.sendsInFlight++;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await this.untilConnected(deadline);
          const message = await this.request('message:send', payload);
          this.remember(message.id);
          return message;
        } catch (error) {
          if (!(error instanceof RelayError) || !error.retryable) throw error;
          const wait = error.retryAfterMs ?? Math.min(250 * 2 ** attempt, 5000);
          if (Date.now() + wait >= deadline) throw error;
          await sleep(wait);
        }
      }
    } finally {
      this.sendsInFlight--;
    }
  }

  /** Any client event, typed; resolves with the ack's data or throws a {@link RelayError}. */
  async request<E extends keyof ClientEvents>(
    event: E,
    payload: ClientEvents[E]['payload'],
  ): Promise<ClientEvents[E]['result']> {
    const socket = this.socket;
    if (!socket?.connected) throw new RelayError('NETWORK', 'The socket is not connected');
    let answer: { ok: true; data: ClientEvents[E]['result'] } | { ok: false; error: unknown };
    try {
      answer = (await socket.timeout(this.ackTimeoutMs).emitWithAck(event, payload)) as typeof answer;
    } catch {
      throw new RelayError('TIMEOUT', `No answer to ${event} within ${this.ackTimeoutMs} ms`);
    }
    if (!answer.ok) throw RelayError.from(answer.error);
    return answer.data;
  }

  /**
   * Fetches what was missed: new messages after the cursors in every conversation (page after page)
   * and, with the kept syncToken, edits, deletions and departures since. What it brings is
   * delivered to listeners like live events (each message once), and the state moves on.
   */
  sync(): Promise<SyncResult> {
    this.syncing ??= (async () => {
      let result: SyncResult;
      for (;;) {
        result = await this.request('sync', { cursors: this.state.cursors, since: this.state.syncToken });
        for (const message of result.changes.updated) this.dispatch('message:updated', message);
        for (const conversationId of result.changes.left) {
          delete this.state.cursors[conversationId];
          this.dispatch('conversation:left', { conversationId });
        }
        for (const conversation of result.conversations) {
          for (const message of conversation.messages) this.receive('message:new', message);
        }
        this.state.syncToken = result.syncToken;
        this.dispatch('sync-state', this.syncState);
        if (!result.conversations.some((c) => c.hasMore)) break;
      }
      this.dispatch('synced', result);
      return result;
    })().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  // ---- inside ---------------------------------------------------------------------------------

  private receive<E extends keyof ServerEvents>(event: E, payload: ServerEvents[E]): void {
    if (event === 'message:new') {
      const message = payload as Message;
      const known = this.seen.has(message.id);
      this.remember(message.id);
      const cursor = this.state.cursors[message.conversationId] ?? 0;
      if (message.seq > cursor) {
        this.state.cursors[message.conversationId] = message.seq;
        this.dispatch('sync-state', this.syncState);
      }
      if (known) return;
    }
    if (event === 'conversation:left')
      delete this.state.cursors[(payload as { conversationId: string }).conversationId];
    if (event === 'session:expiring') void this.refreshSocket();
    if (event === 'session:revoked') this.setTokens(null); // this socket's session: signed out
    this.dispatch(event, payload as RelayEvents[E]);
  }

  /** `session:expiring`: a fresh access token, handed to the live socket with `auth:refresh`. */
  private async refreshSocket(): Promise<void> {
    const tokens = await this.refreshTokens().catch(() => null);
    if (tokens && this.socket?.connected) {
      await this.request('auth:refresh', { token: tokens.accessToken }).catch(() => undefined);
    }
  }

  private async reconnectAfterRefresh(socket: Socket): Promise<void> {
    if (!this.tokens) return;
    const tokens = await this.refreshTokens().catch(() => null);
    if (tokens && this.socket === socket) socket.connect();
  }

  /** A refused handshake: a stale token is refreshed and the socket tries again; a busy server is retried. */
  private async recoverHandshake(socket: Socket, error: Error): Promise<void> {
    if (socket.active) return; // a transport failure: socket.io-client reconnects by itself
    if (error.message === 'UNAUTHORIZED') {
      const tokens = await this.refreshTokens().catch(() => null);
      if (!tokens) return; // signed out: `tokens` listeners heard null
    } else if (error.message === 'SERVICE_UNAVAILABLE' || error.message === 'TOO_MANY_SOCKETS') {
      await sleep(1000);
    } else {
      return;
    }
    if (this.socket === socket) socket.connect();
  }

  private async authorizedFetch(request: Request): Promise<Response> {
    const again = request.clone();
    const response = await this.fetchFn(this.authorize(request));
    const path = new URL(request.url).pathname;
    if (response.status !== 401 || !this.tokens || AUTH_PATHS.some((p) => path.endsWith(p))) return response;
    const tokens = await this.refreshTokens().catch(() => null);
    return tokens ? this.fetchFn(this.authorize(again)) : response;
  }

  private authorize(request: Request): Request {
    if (this.tokens) request.headers.set('Authorization', `Bearer ${this.tokens.accessToken}`);
    return request;
  }

  private setTokens(tokens: Tokens | null): void {
    this.tokens = tokens ? { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken } : null;
    this.dispatch('tokens', this.tokens);
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > SEEN_LIMIT) this.seen.delete(this.seen.values().next().value as string);
  }

  private async untilConnected(deadline: number): Promise<void> {
    while (!this.socket?.connected) {
      if (!this.socket) throw new RelayError('NETWORK', 'connect() was not called');
      if (Date.now() >= deadline) throw new RelayError('TIMEOUT', 'The socket did not connect in time');
      await sleep(100);
    }
  }

  private dispatch<E extends keyof RelayEvents>(event: E, payload: RelayEvents[E]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as Listener<E>)(payload);
      } catch (error) {
        console.error(`a ${String(event)} listener failed`, error);
      }
    }
  }
}

/** openapi-fetch's `{data, error, response}` as the data, or a thrown {@link RelayError}. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch {
    throw new RelayError('NETWORK', 'Relay could not be reached');
  }
  if (result.error !== undefined || !result.response.ok)
    throw RelayError.from(result.error, result.response.status);
  return result.data as T;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
