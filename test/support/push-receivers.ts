import { execFileSync } from 'node:child_process';
import { createECDH, generateKeyPairSync, randomBytes, type ECDH } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { createSecureServer, type Http2SecureServer, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ece from 'http_ece';

/** One request a fake provider received. */
export interface Received {
  at: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** What the fake answers: a status (and JSON body), or `hold` to never answer. */
export type Answer = { status: number; json?: unknown } | 'hold';

/**
 * A local HTTP(S) receiver standing in for a provider: it records every request and answers from a
 * script (the next scripted answer, then the default).
 */
abstract class Receiver {
  readonly received: Received[] = [];
  private readonly script: { match: (r: Received) => boolean; answer: Answer }[] = [];
  private readonly held: ServerResponse[] = [];
  /** HTTP/2 sessions, closed with the server. */
  protected readonly sessions = new Set<ServerHttp2Session>();
  defaultAnswer: Answer = { status: 201 };
  protected abstract server: Server | Http2SecureServer;

  /** The next requests that match get these answers, in order (other requests get the default). */
  answerNext(match: (r: Received) => boolean, ...answers: Answer[]): void {
    this.script.push(...answers.map((answer) => ({ match, answer })));
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Waits until `n` requests (matching `filter`) arrived. */
  async waitFor(
    n: number,
    filter: (r: Received) => boolean = () => true,
    timeoutMs = 15_000,
  ): Promise<Received[]> {
    const start = Date.now();
    for (;;) {
      const matching = this.received.filter(filter);
      if (matching.length >= n) return matching;
      if (Date.now() - start > timeoutMs)
        throw new Error(`expected ${n} requests, got ${matching.length} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close(): Promise<void> {
    for (const res of this.held.splice(0)) res.destroy();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Keep-alive connections of the server under test would hold the port open for seconds.
    if ('closeAllConnections' in this.server) this.server.closeAllConnections();
    else for (const session of this.sessions) session.destroy();
    await closed;
  }

  protected handle(
    req: { method?: string; url?: string; headers: IncomingHttpHeaders } & AsyncIterable<Buffer>,
    res: ServerResponse,
  ): void {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk);
      const received = {
        at: Date.now(),
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      const scripted = this.script.findIndex((s) => s.match(received));
      const answer =
        this.answerFor(received) ??
        (scripted >= 0 ? this.script.splice(scripted, 1)[0]!.answer : this.defaultAnswer);
      this.received.push(received);
      if (answer === 'hold') {
        this.held.push(res);
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.json === undefined ? '' : JSON.stringify(answer.json));
    })();
  }

  /** An answer decided by the request itself (token endpoints), before the script. */
  protected answerFor(_r: Received): Answer | null {
    return null;
  }

  protected listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }
}

/** A browser's push subscription: the keys a browser would create, and the secret to read its pushes. */
export interface BrowserSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
  ecdh: ECDH;
  authSecret: Buffer;
}

/** A Web Push service (RFC 8030) on http://127.0.0.1 that can decrypt what it receives for its browsers. */
export class WebPushService extends Receiver {
  protected server: Server = createServer((req, res) => this.handle(req, res));
  private readonly browsers = new Map<string, BrowserSubscription>();

  static async start(): Promise<WebPushService> {
    const s = new WebPushService();
    await s.listen();
    return s;
  }

  get host(): string {
    return '127.0.0.1';
  }

  /** A new browser subscription with fresh P-256 keys. */
  subscription(): BrowserSubscription {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const authSecret = randomBytes(16);
    const id = randomBytes(8).toString('hex');
    const sub = {
      endpoint: `http://127.0.0.1:${this.port}/push/${id}`,
      keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: authSecret.toString('base64url') },
      ecdh,
      authSecret,
    };
    this.browsers.set(`/push/${id}`, sub);
    return sub;
  }

  /** The requests for one subscription. */
  to(sub: BrowserSubscription): Received[] {
    return this.received.filter(WebPushService.for(sub));
  }

  /** Matches the requests for one subscription. */
  static for(sub: BrowserSubscription): (r: Received) => boolean {
    const path = new URL(sub.endpoint).pathname;
    return (r) => r.path === path;
  }

  /** Decrypts a push (aes128gcm) with the browser's private key, as the browser would. */
  decrypt(r: Received): Record<string, unknown> {
    const sub = this.browsers.get(r.path);
    if (!sub) throw new Error(`no browser for ${r.path}`);
    const plain = ece.decrypt(r.body, {
      version: 'aes128gcm',
      privateKey: sub.ecdh,
      authSecret: sub.authSecret,
    });
    return JSON.parse(plain.toString('utf8')) as Record<string, unknown>;
  }
}

/** A webhook receiver. */
export class WebhookReceiver extends Receiver {
  protected server: Server = createServer((req, res) => this.handle(req, res));

  static async start(): Promise<WebhookReceiver> {
    const s = new WebhookReceiver();
    s.defaultAnswer = { status: 204 };
    await s.listen();
    return s;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }
}

/** FCM's HTTP v1 API and Google's OAuth token endpoint, with the service account it trusts. */
export class FcmService extends Receiver {
  protected server: Server = createServer((req, res) => this.handle(req, res));
  readonly keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  readonly accessToken = `ya29.${randomBytes(16).toString('hex')}`;

  static async start(): Promise<FcmService> {
    const s = new FcmService();
    s.defaultAnswer = { status: 200, json: { name: 'projects/relay-test/messages/1' } };
    await s.listen();
    return s;
  }

  env(): Record<string, string> {
    return {
      FCM_PROJECT_ID: 'relay-test',
      FCM_CLIENT_EMAIL: 'relay@relay-test.iam.gserviceaccount.com',
      FCM_PRIVATE_KEY: this.keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      FCM_ENDPOINT: `http://127.0.0.1:${this.port}`,
      FCM_TOKEN_URL: `http://127.0.0.1:${this.port}/token`,
    };
  }

  sends(): Received[] {
    return this.received.filter((r) => r.path.endsWith('/messages:send'));
  }

  protected override answerFor(r: Received): Answer | null {
    if (r.path !== '/token') return null;
    return { status: 200, json: { access_token: this.accessToken, expires_in: 3600, token_type: 'Bearer' } };
  }
}

/** APNs: an HTTP/2 server over TLS with a self-signed certificate (made with openssl). */
export class ApnsService extends Receiver {
  protected server!: Http2SecureServer;
  readonly key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  certificate = '';

  static async start(): Promise<ApnsService> {
    const s = new ApnsService();
    const dir = mkdtempSync(join(tmpdir(), 'relay-apns-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      s.certificate = readFileSync(join(dir, 'cert.pem'), 'utf8');
      s.server = createSecureServer(
        { key: readFileSync(join(dir, 'key.pem')), cert: s.certificate },
        (req, res) => s.handle(req, res as unknown as ServerResponse),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    s.defaultAnswer = { status: 200 };
    await s.listen();
    return s;
  }

  env(): Record<string, string> {
    return {
      APNS_KEY_ID: 'ABC123DEFG',
      APNS_TEAM_ID: 'TEAM123456',
      APNS_TOPIC: 'com.example.relay',
      APNS_PRIVATE_KEY: this.key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      APNS_HOST: `https://127.0.0.1:${this.port}`,
      APNS_CA: this.certificate,
    };
  }
}
