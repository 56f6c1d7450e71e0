import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

type Key = {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  jwk: JWK;
};

/**
 * A host system's identity provider for tests, on 127.0.0.1: a JWKS endpoint, an RFC 7662
 * introspection endpoint for opaque tokens, key rotation, and an off switch.
 */
export class TestIdentityProvider {
  readonly issuer = 'https://idp.test';
  readonly audience = 'relay-host-app';
  private keys: Key[] = [];
  private readonly opaque = new Map<string, Record<string, unknown>>();
  private server!: Server;
  private down = false;
  jwksHits = 0;
  url = '';

  static async start(): Promise<TestIdentityProvider> {
    const idp = new TestIdentityProvider();
    await idp.rotate();
    idp.server = createServer((req, res) => {
      if (idp.down) {
        res.socket?.destroy();
        return;
      }
      if (req.url === '/jwks') {
        idp.jwksHits++;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: idp.keys.map((k) => k.jwk) }));
        return;
      }
      if (req.url === '/introspect' && req.method === 'POST') {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          const token = new URLSearchParams(body).get('token') ?? '';
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(idp.opaque.get(token) ?? { active: false }));
        });
        return;
      }
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((r) => idp.server.listen(0, '127.0.0.1', () => r()));
    idp.url = `http://127.0.0.1:${(idp.server.address() as { port: number }).port}`;
    return idp;
  }

  /** Publishes a new signing key; with `dropOld`, the previous keys are no longer published. */
  async rotate(options: { alg?: 'RS256' | 'ES256'; dropOld?: boolean } = {}): Promise<string> {
    const alg = options.alg ?? 'RS256';
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const kid = `k${this.keys.length + 1}-${Date.now()}`;
    const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
    const key = { kid, alg, privateKey, jwk };
    this.keys = options.dropOld ? [key] : [...this.keys, key];
    return kid;
  }

  /** A JWT signed by the newest key (or the given kid); `claims` override the defaults (iss, aud, exp, …). */
  async token(
    sub: string,
    claims: Record<string, unknown> = {},
    options: { kid?: string } = {},
  ): Promise<string> {
    const key = options.kid ? this.keys.find((k) => k.kid === options.kid)! : this.keys.at(-1)!;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      sub,
      iss: this.issuer,
      aud: this.audience,
      iat: now,
      exp: now + 600,
      preferred_username: `u_${sub}`,
      name: `User ${sub}`,
      ...claims,
    })
      .setProtectedHeader({ alg: key.alg, kid: key.kid })
      .sign(key.privateKey);
  }

  get newestKid(): string {
    return this.keys.at(-1)!.kid;
  }

  /** An opaque token the introspection endpoint will describe. */
  opaqueToken(sub: string, active = true, extra: Record<string, unknown> = {}): string {
    const token = `opaque-${sub}-${Math.random().toString(36).slice(2)}`;
    this.opaque.set(token, {
      active,
      sub,
      username: `o_${sub}`,
      exp: Math.floor(Date.now() / 1000) + 600,
      aud: this.audience,
      ...extra,
    });
    return token;
  }

  deactivate(token: string): void {
    const t = this.opaque.get(token);
    if (t) t.active = false;
  }

  setDown(down: boolean): void {
    this.down = down;
  }

  env(): Record<string, string> {
    return {
      AUTH_MODE: 'both',
      AUTH_JWKS_URL: `${this.url}/jwks`,
      AUTH_ISSUER: this.issuer,
      AUTH_AUDIENCE: this.audience,
      AUTH_INTROSPECTION_URL: `${this.url}/introspect`,
      AUTH_JWKS_COOLDOWN_MS: '300',
    };
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}
