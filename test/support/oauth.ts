import type { FastifyInstance } from 'fastify';

/** Demo clients from config/clients.demo.json, which test apps load by default. */
export const ORDERS = { id: 'orders', secret: 'demo-orders-secret-change-me-0123456789abcdef' };
export const GATEWAY = { id: 'gateway', secret: 'demo-gateway-secret-change-me-0123456789abcdef' };

export const basic = (client: { id: string; secret: string }) =>
  `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`;

/** POSTs a form the way OAuth clients do. */
export function postForm(app: FastifyInstance, url: string, form: Record<string, string | string[]>, headers: Record<string, string> = {}) {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(form)) for (const item of [value].flat()) body.append(name, item);
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: body.toString(),
  });
}

export const introspect = (app: FastifyInstance, token: string) =>
  postForm(app, '/oauth/introspect', { token }, { authorization: basic(GATEWAY) });
