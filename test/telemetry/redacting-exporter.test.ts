import { describe, expect, it } from 'vitest';
import { scrubAttributes } from '../../src/telemetry/redacting-exporter.js';

describe('span attributes on their way to the collector', () => {
  it('lose query strings and fragments of URLs, and user info of any URL', () => {
    expect(
      scrubAttributes({
        'url.full': 'https://rp.example/cb?code=abc&state=xyz#frag',
        'url.path': '/oauth/authorize?client_id=web',
        'http.target': '/login?return_to=%2Fme',
        'server.address': 'postgresql://identity:hunter2@db:5432/identity',
        'db.query.text': 'SELECT 1 WHERE a = $1 AND b = \'?\'',
      }),
    ).toEqual({
      'url.full': 'https://rp.example/cb',
      'url.path': '/oauth/authorize',
      'http.target': '/login',
      'server.address': 'postgresql://db:5432/identity',
      'db.query.text': 'SELECT 1 WHERE a = $1 AND b = \'?\'',
    });
  });

  it('drop credential-named attributes and url.query, but keep look-alikes such as status codes', () => {
    expect(
      scrubAttributes({
        'http.request.header.authorization': ['Bearer eyJ'],
        'http.request.header.cookie': ['sid=s%3A…'],
        'http.response.header.set-cookie': ['sid=…'],
        'url.query': 'code=abc',
        'app.refresh_token': 'rt',
        'http.response.status_code': 200,
        'rpc.grpc.status_code': 0,
      }),
    ).toEqual({ 'http.response.status_code': 200, 'rpc.grpc.status_code': 0 });
  });

  it('hand back the same object when there is nothing to remove', () => {
    const clean = { 'http.route': '/v1/me', 'http.response.status_code': 200 };
    expect(scrubAttributes(clean)).toBe(clean);
  });
});
