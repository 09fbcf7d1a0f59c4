import type { FastifyInstance } from 'fastify';
import { decodeJwt } from 'jose';
import { appLogin, Browser, signUp } from './accounts.js';

/** An admin signed in both ways: a browser session (with its CSRF token) and an app login. */
export interface AdminSeat {
  id: string;
  email: string;
  browser: Browser;
  csrf: string;
  tokens: Awaited<ReturnType<typeof appLogin>>;
}

/** Makes an admin the way operators make the first one: promoted directly in the database (the CLI is tested on its own). */
export async function adminOf(app: FastifyInstance): Promise<AdminSeat> {
  const user = await signUp(app);
  await app.database.query(`UPDATE users SET roles = ARRAY['user','admin'] WHERE id = $1`, [user.id]);
  const browser = new Browser(app);
  const session = await browser.signIn(user.email);
  return { ...user, browser, csrf: session.csrf_token, tokens: await appLogin(app, user.email) };
}

/** The claims of one of our access tokens, unverified: for asserting what the service put in it. */
export const claimsOf = (token: string) => decodeJwt(token) as { roles?: string[]; sub: string; sid?: string };
