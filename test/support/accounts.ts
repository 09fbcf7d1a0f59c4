import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { randomBytes } from 'node:crypto';

export const PASSWORD = 'correct horse battery staple 42';

export const uniqueEmail = (label = 'user') => `${label}-${randomBytes(6).toString('hex')}@Example.test`;

/**
 * A minimal cookie jar over `app.inject`: keeps what Set-Cookie sets, forgets
 * what it clears, and sends the rest back, as a browser would on this origin.
 */
export class Browser {
  readonly cookies = new Map<string, string>();
  /** Headers every request carries (Origin, X-Forwarded-Proto…). */
  constructor(
    private readonly app: FastifyInstance,
    private readonly defaults: Record<string, string> = {},
  ) {}

  async request(options: InjectOptions & { headers?: Record<string, string> }): Promise<LightMyRequestResponse> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await this.app.inject({
      ...options,
      headers: { ...this.defaults, ...(cookie ? { cookie } : {}), ...options.headers },
    });
    for (const set of response.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      const cleared = set.maxAge === 0 || (set.expires !== undefined && set.expires.getTime() <= Date.now()) || set.value === '';
      if (cleared) this.cookies.delete(set.name);
      else this.cookies.set(set.name, set.value);
    }
    return response;
  }

  /** Signs in through the JSON endpoint; answers the session body (with its csrf_token). */
  async signIn(email: string, password = PASSWORD) {
    const response = await this.request({ method: 'POST', url: '/v1/session', payload: { email, password } });
    if (response.statusCode !== 200) throw new Error(`sign-in failed: ${response.statusCode} ${response.body}`);
    return response.json() as { user: { id: string; email: string; roles: string[] }; csrf_token: string; created_at: string; expires_at: string };
  }
}

/** Creates an account through POST /v1/users. */
export async function signUp(app: FastifyInstance, email = uniqueEmail(), password = PASSWORD, headers: Record<string, string> = {}): Promise<{ id: string; email: string }> {
  const response = await app.inject({ method: 'POST', url: '/v1/users', headers, payload: { email, password } });
  if (response.statusCode !== 201) throw new Error(`sign-up failed: ${response.statusCode} ${response.body}`);
  return response.json();
}

/** Logs the mobile app in; answers the token response. */
export async function appLogin(app: FastifyInstance, email: string, password = PASSWORD, headers: Record<string, string> = {}) {
  const response = await app.inject({ method: 'POST', url: '/v1/auth/login', headers, payload: { email, password, client_id: 'mobile' } });
  if (response.statusCode !== 200) throw new Error(`app login failed: ${response.statusCode} ${response.body}`);
  return response.json() as { access_token: string; refresh_token: string; expires_in: number; scope: string; token_type: string };
}

/** An HTML form post from one of the service's own pages (what a browser sends when the user clicks submit). */
export const sameOriginForm = (fields: Record<string, string>) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
  payload: new URLSearchParams(fields).toString(),
});
