import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export interface StubKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

export const AUDIENCE = 'api';

/** An ES256 key pair with its public JWK, as the service publishes them. */
export async function stubKey(kid: string = randomUUID()): Promise<StubKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

/**
 * A stand-in for the identity service on node:http, for the verifier's unit
 * tests: discovery, a JWKS whose keys and Cache-Control the test sets, and a
 * revocation feed in the service's format (ETag, If-None-Match, Basic auth
 * when `feedCredentials` is set). Counts each fetch; `down` answers 503.
 */
export class IssuerStub {
  readonly fetches = { discovery: 0, jwks: 0, feed: 0, feedNotModified: 0 };
  readonly feedAuthorizations: (string | undefined)[] = [];
  keys: StubKey[] = [];
  /** The key that signs; stays out of the JWKS when it is not in `keys`. */
  signingKey!: StubKey;
  jwksCacheControl = 'public, max-age=300';
  down = { jwks: false, feed: false };
  feedCredentials: string | undefined;
  /** Replaces the served feed (a forged one, say). */
  feedOverride: string | undefined;
  discoveryIssuer: string | undefined;
  version = 1;
  sids: Record<string, number> = {};
  subs: Record<string, number> = {};
  #server = createServer((request, response) => void this.#handle(request, response));
  issuer = '';

  static async start(): Promise<IssuerStub> {
    const stub = new IssuerStub();
    stub.signingKey = await stubKey();
    stub.keys = [stub.signingKey];
    await new Promise<void>((resolve) => stub.#server.listen(0, '127.0.0.1', resolve));
    stub.issuer = `http://127.0.0.1:${(stub.#server.address() as AddressInfo).port}`;
    return stub;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  /** A new signing key, published alongside the old ones. */
  async rotate(): Promise<StubKey> {
    this.signingKey = await stubKey();
    this.keys = [...this.keys, this.signingKey];
    return this.signingKey;
  }

  revoke({ sid, sub, at = Math.floor(Date.now() / 1000) }: { sid?: string; sub?: string; at?: number }): void {
    if (sid) this.sids[sid] = at;
    if (sub) this.subs[sub] = at;
    this.version += 1;
  }

  /** Standard access-token claims for `claims.sub`, overridable. */
  accessClaims(claims: JWTPayload = {}): JWTPayload {
    const iat = Math.floor(Date.now() / 1000);
    return { iss: this.issuer, aud: AUDIENCE, sub: 'user-1', client_id: 'mobile', scope: 'openid orders:read', sid: 'login-1', roles: ['user'], iat, exp: iat + 900, jti: randomUUID(), ...claims };
  }

  /** An access token signed ES256 by `key` (the signing key), `typ: at+jwt`. */
  sign(claims: JWTPayload = {}, { key = this.signingKey, typ = 'at+jwt', kid = key.kid }: { key?: StubKey; typ?: string; kid?: string } = {}): Promise<string> {
    return new SignJWT(this.accessClaims(claims)).setProtectedHeader({ alg: 'ES256', typ, kid }).sign(key.privateKey);
  }

  feedJwt(claims: JWTPayload = {}, key = this.signingKey, typ = 'revocation-feed+jwt'): Promise<string> {
    const iat = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: this.issuer, iat, exp: iat + 300, version: this.version, sids: this.sids, subs: this.subs, ...claims })
      .setProtectedHeader({ alg: 'ES256', typ, kid: key.kid })
      .sign(key.privateKey);
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const json = (body: unknown, headers: Record<string, string> = {}) => void response.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    switch (request.url) {
      case '/.well-known/openid-configuration':
        this.fetches.discovery += 1;
        return json({
          issuer: this.discoveryIssuer ?? this.issuer,
          jwks_uri: `${this.issuer}/jwks.json`,
          revocation_feed_uri: `${this.issuer}/revocations`,
          dpop_signing_alg_values_supported: ['ES256'],
        });
      case '/jwks.json':
        this.fetches.jwks += 1;
        if (this.down.jwks) return void response.writeHead(503).end();
        return json({ keys: this.keys.map((key) => key.jwk) }, { 'cache-control': this.jwksCacheControl });
      case '/revocations': {
        this.fetches.feed += 1;
        this.feedAuthorizations.push(request.headers.authorization);
        if (this.down.feed) return void response.writeHead(503).end();
        if (this.feedCredentials && request.headers.authorization !== `Basic ${Buffer.from(this.feedCredentials).toString('base64')}`) {
          return void response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
        }
        const etag = `"${this.version}"`;
        if (!this.feedOverride && request.headers['if-none-match'] === etag) {
          this.fetches.feedNotModified += 1;
          return void response.writeHead(304, { etag }).end();
        }
        return void response.writeHead(200, { 'content-type': 'application/jwt', etag }).end(this.feedOverride ?? (await this.feedJwt()));
      }
      default:
        response.writeHead(404).end();
    }
  }
}
