import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/domain/clock.js';
import type { BrowserSession } from '../../../src/domain/sessions/browser-session.js';
import type { BrowserSessionStore } from '../../../src/domain/sessions/session-store.js';
import { BrowserSessions } from '../../../src/http/session/browser-sessions.js';
import { sessionPlugin } from '../../../src/http/session/plugin.js';

/** Only what these routes touch: one session by the hash of its id. */
class MemorySessionStore implements Pick<BrowserSessionStore, 'get' | 'insert' | 'update' | 'destroy'> {
  readonly sessions = new Map<string, BrowserSession>();
  async get(idHash: string) {
    return this.sessions.get(idHash);
  }
  async insert(idHash: string, session: BrowserSession) {
    this.sessions.set(idHash, session);
  }
  async update(idHash: string, session: BrowserSession) {
    if (this.sessions.has(idHash)) this.sessions.set(idHash, session);
  }
  async destroy(idHash: string) {
    this.sessions.delete(idHash);
  }
}

describe('session plugin', () => {
  const store = new MemorySessionStore();
  let app: FastifyInstance;
  beforeAll(async () => {
    const sessions = new BrowserSessions(store as unknown as BrowserSessionStore, new ManualClock(), { idleSeconds: 600, absoluteSeconds: 3600 }, { name: 'sid', secure: false });
    app = Fastify();
    await app.register(sessionPlugin, { sessions, cookieSecret: Buffer.alloc(32, 7) });
    const describeSession = async (request: Parameters<typeof sessions.current>[0]) => ({ object: request.session !== null, csrf: sessions.current(request)?.csrfToken ?? null });
    app.get('/reads', describeSession);
    app.get('/starts', { config: { startsSession: true } }, async (request) => ({ csrf: sessions.preLogin(request).csrfToken }));
    app.get('/starts-undeclared', async (request) => ({ csrf: sessions.preLogin(request).csrfToken }));
    await app.ready();
  });
  afterAll(() => app.close());

  it('builds no session object for a request without the cookie on a route that cannot start one', async () => {
    const response = await app.inject({ url: '/reads' });
    expect(response.json()).toEqual({ object: false, csrf: null });
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('starts a session on a route declaring startsSession, and loads it wherever the cookie comes back', async () => {
    const started = await app.inject({ url: '/starts' });
    const cookie = started.cookies.find((c) => c.name === 'sid');
    expect(cookie?.value).toBeTruthy();
    expect(store.sessions.size).toBe(1);
    const read = await app.inject({ url: '/reads', cookies: { sid: cookie!.value } });
    expect(read.json()).toEqual({ object: true, csrf: started.json().csrf });
  });

  it('gives a cookie it cannot load an empty session, as upstream does', async () => {
    const read = await app.inject({ url: '/reads', cookies: { sid: 'forged.value' } });
    expect(read.json()).toEqual({ object: true, csrf: null });
  });

  it('fails loudly when a route starts a session without declaring it', async () => {
    const response = await app.inject({ url: '/starts-undeclared' });
    expect(response.statusCode).toBe(500);
    expect(response.json().message).toMatch(/GET \/starts-undeclared starts a browser session but does not declare config.startsSession/);
  });
});
