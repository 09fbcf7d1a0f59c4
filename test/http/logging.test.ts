import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/http/logger.js';
import { embeddedTarget } from '../support/databases.js';
import { startTestApp } from '../support/app.js';

function capture() {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

describe('log redaction', () => {
  it('redacts secret-named fields at any depth used by our log lines', () => {
    const sink = capture();
    const logger = createLogger('info', sink.stream);
    logger.info({
      password: 'pw-top-SECRET1',
      body: { client_secret: 'cs-SECRET2', refresh_token: 'rt-SECRET3', nested: { code: 'code-SECRET4', access_token: 'at-SECRET5' } },
      current_password: 'SECRET6',
      token: 'SECRET7',
      email: 'alice@example.com',
    });
    const line = sink.text();
    expect(line).not.toMatch(/SECRET\d/);
    expect(line).toContain('alice@example.com');
    expect(line.match(/\[redacted\]/g)?.length).toBe(7);
  });

  it('redacts at any depth and inside arrays, without touching the logged object', () => {
    const sink = capture();
    const logger = createLogger('info', sink.stream);
    const logged = { a: { b: { c: { d: { Password: 'SECRETDEEP' } } } }, list: [{ refresh_token: 'SECRETLIST' }, 'plain'] };
    logger.info(logged);
    expect(sink.text()).not.toMatch(/SECRET/);
    expect(sink.text()).toContain('plain');
    expect(logged.a.b.c.d.Password).toBe('SECRETDEEP');
  });

  it('redacts authorization, cookie and set-cookie headers', () => {
    const sink = capture();
    const logger = createLogger('info', sink.stream);
    logger.info({
      req: { id: '1', method: 'GET', url: '/v1/me', headers: { authorization: 'Bearer eyJ.SECRET', cookie: 'sid=SECRETCOOKIE' } },
      res: { headers: { 'set-cookie': 'sid=SECRETSET' } },
      headers: { authorization: 'Basic SECRETBASIC' },
    });
    expect(sink.text()).not.toMatch(/SECRET/);
  });

  it('keeps credentials and query strings out of request logs of the running app', async () => {
    const t = await startTestApp(embeddedTarget);
    try {
      await t.app.inject({
        url: '/v1/me?code=SECRETCODE&state=abc',
        headers: { authorization: 'Bearer SECRETBEARER', cookie: '__Host-sid=SECRETSID' },
      });
      const text = t.logText();
      expect(text).toContain('"url":"/v1/me"');
      expect(text).not.toMatch(/SECRETCODE|SECRETBEARER|SECRETSID/);
    } finally {
      await t.close();
    }
  });
});
