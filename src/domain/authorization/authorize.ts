import { randomUUID } from 'node:crypto';
import type { Client, ClientRegistry } from '../clients/client.js';
import type { Clock } from '../clock.js';
import { AppError, isAppError } from '../errors.js';
import { parseScope } from '../tokens/scope.js';
import { requestsMfa, usedSecondFactor } from '../mfa/amr.js';
import { hashOpaqueToken, looksLikeOpaqueToken, newOpaqueToken } from '../tokens/opaque-token.js';
import type { AuthorizationCodeStore } from './authorization-code-store.js';
import { parseAuthorizationRequest, redirectTargetOf, type AuthorizationRequest, type RedirectTarget } from './authorization-request.js';
import type { AuthorizationRequestStore, PendingAuthorization } from './authorization-request-store.js';
import type { ConsentStore } from './consent-store.js';

/** The signed-in browser session an authorization is made under. */
export interface SignedInSession {
  readonly userId: string;
  /** The session's public id (never the cookie value). */
  readonly sessionId: string;
  readonly authTime: Date;
  readonly amr: readonly string[];
}

export type AuthorizeOutcome =
  /** To the client's redirect URI: a code, or an error (RFC 6749 §4.1.2, §4.1.2.1). */
  | { readonly kind: 'redirect'; readonly location: string }
  /** To the login page, which returns to the parked request. */
  | { readonly kind: 'login'; readonly requestId: string; readonly loginHint: string | undefined }
  | { readonly kind: 'consent'; readonly requestId: string; readonly client: Client; readonly scopes: readonly string[]; readonly redirectUri: string };

export interface AuthorizationDeps {
  readonly clients: ClientRegistry;
  readonly codes: AuthorizationCodeStore;
  readonly requests: AuthorizationRequestStore;
  readonly consents: ConsentStore;
  readonly clock: Clock;
  readonly issuer: string;
  /** Whether the user has a second factor to sign in with (docs/mfa.md). */
  readonly hasSecondFactor: (userId: string) => Promise<boolean>;
}

/** RFC 6749 §4.1.2 recommends at most ten minutes; one is plenty for a client that redeems at once. */
export const CODE_TTL_SECONDS = 60;
/** Long enough to sign in (and recover a forgotten password manager entry), short enough not to linger. */
const PENDING_TTL_SECONDS = 900;

const expired = () => new AppError('bad_request', 'This sign-in request has expired. Go back to the application and start again.');

/**
 * The authorization endpoint's use-case (RFC 6749 §4.1, OIDC Core §3.1.2):
 * validates the request, decides whether the user must sign in (again) or
 * consent, and issues the code. The HTTP layer only renders the outcome.
 */
export class Authorization {
  constructor(private readonly deps: AuthorizationDeps) {}

  /**
   * A new request. Throws AppError('bad_request') when the client or the
   * redirect URI cannot be trusted: that is shown to the user, never redirected.
   */
  async start(params: Readonly<Record<string, string | undefined>>, session: SignedInSession | undefined): Promise<AuthorizeOutcome> {
    const target = redirectTargetOf(params, (clientId) => this.deps.clients.find(clientId));
    let request: AuthorizationRequest;
    try {
      request = parseAuthorizationRequest(params, target);
    } catch (error) {
      if (isAppError(error) && error.status < 500) return this.errorRedirect(target, error.code, error.detail);
      throw error;
    }
    const now = this.deps.clock.now().getTime();
    // OIDC Core §3.1.2.1: prompt=login wants a sign-in after this request; max_age one within that many seconds.
    const bounds = [request.prompt.includes('login') ? now : -Infinity, request.maxAge !== undefined ? now - request.maxAge * 1000 : -Infinity];
    const loginAfter = Math.max(...bounds);
    return this.proceed({ request, loginAfter: Number.isFinite(loginAfter) ? new Date(loginAfter) : null }, undefined, session);
  }

  /** The parked request after the login page (or a reload of the consent page). */
  async resume(requestId: string, session: SignedInSession | undefined): Promise<AuthorizeOutcome> {
    const pending = await this.pending(requestId);
    return this.proceed(pending, requestId, session);
  }

  /** The user's answer on the consent page. */
  async decide(requestId: string, session: SignedInSession, allow: boolean): Promise<AuthorizeOutcome> {
    const pending = await this.pending(requestId);
    const target = this.targetOf(pending.request);
    await this.deps.requests.delete(hashOpaqueToken(requestId));
    if (!allow) return this.errorRedirect(target, 'access_denied', 'The user denied the request.');
    await this.deps.consents.grant(session.userId, pending.request.clientId, pending.request.scope, this.deps.clock.now());
    return this.issueCode(pending.request, session);
  }

  private async proceed(pending: PendingAuthorization, requestId: string | undefined, session: SignedInSession | undefined): Promise<AuthorizeOutcome> {
    const { request } = pending;
    const target = this.targetOf(request);
    const prompt = new Set(request.prompt);
    const fresh = session && (pending.loginAfter === null || session.authTime.getTime() >= pending.loginAfter.getTime());
    if (!fresh) {
      if (prompt.has('none')) return this.errorRedirect(target, 'login_required', 'The user is not signed in.');
      return { kind: 'login', requestId: requestId ?? (await this.park(pending)), loginHint: request.loginHint };
    }
    const mfa = await this.secondFactorDue(target, request, session);
    if (mfa === 'sign_in_again') {
      // The session predates the user's second factor: the sign-in (password, then the code) is done again.
      if (prompt.has('none')) return this.errorRedirect(target, 'login_required', 'A sign-in with a second factor is required.');
      return { kind: 'login', requestId: requestId ?? (await this.park(pending)), loginHint: request.loginHint };
    }
    if (mfa === 'not_enrolled') {
      if (requestId) await this.deps.requests.delete(hashOpaqueToken(requestId));
      return this.errorRedirect(target, 'access_denied', `This application requires two-step verification. Set it up at ${this.deps.issuer}/account/security, then try again.`);
    }
    if (await this.needsConsent(target.client, request, session)) {
      if (prompt.has('none')) return this.errorRedirect(target, 'consent_required', 'The user has not allowed this application.');
      const id = requestId ?? (await this.park(pending));
      return { kind: 'consent', requestId: id, client: target.client, scopes: parseScope(request.scope), redirectUri: request.redirectUri };
    }
    if (requestId) await this.deps.requests.delete(hashOpaqueToken(requestId));
    return this.issueCode(request, session);
  }

  /** A client with `require_mfa`, or `acr_values` naming the multi-factor policy, needs a session signed in with a second factor. */
  private async secondFactorDue(target: RedirectTarget, request: AuthorizationRequest, session: SignedInSession): Promise<'sign_in_again' | 'not_enrolled' | undefined> {
    if (!target.client.requireMfa && !requestsMfa(request.acrValues)) return undefined;
    if (usedSecondFactor(session.amr)) return undefined;
    return (await this.deps.hasSecondFactor(session.userId)) ? 'sign_in_again' : 'not_enrolled';
  }

  /** First-party clients are the service's own apps; others need the user's consent once per scope, or whenever they ask. */
  private async needsConsent(client: Client, request: AuthorizationRequest, session: SignedInSession): Promise<boolean> {
    if (client.firstParty) return false;
    if (request.prompt.includes('consent')) return true;
    const consent = await this.deps.consents.find(session.userId, client.clientId);
    const allowed = new Set(consent ? parseScope(consent.scope) : []);
    return parseScope(request.scope).some((scope) => !allowed.has(scope));
  }

  private async issueCode(request: AuthorizationRequest, session: SignedInSession): Promise<AuthorizeOutcome> {
    const code = newOpaqueToken();
    const now = this.deps.clock.now();
    await this.deps.codes.insert({
      codeHash: hashOpaqueToken(code),
      clientId: request.clientId,
      userId: session.userId,
      redirectUri: request.redirectUri,
      scope: request.scope,
      codeChallenge: request.codeChallenge,
      nonce: request.nonce ?? null,
      dpopJkt: request.dpopJkt ?? null,
      browserSessionId: session.sessionId,
      authTime: session.authTime,
      amr: session.amr,
      familyId: randomUUID(),
      createdAt: now,
      expiresAt: new Date(now.getTime() + CODE_TTL_SECONDS * 1000),
    });
    return this.redirect(this.targetOf(request), { code });
  }

  private async park(pending: PendingAuthorization): Promise<string> {
    const id = newOpaqueToken();
    const now = this.deps.clock.now();
    await this.deps.requests.save(hashOpaqueToken(id), pending, now, new Date(now.getTime() + PENDING_TTL_SECONDS * 1000));
    return id;
  }

  private async pending(requestId: string): Promise<PendingAuthorization> {
    if (!looksLikeOpaqueToken(requestId)) throw expired();
    const pending = await this.deps.requests.find(hashOpaqueToken(requestId), this.deps.clock.now());
    if (!pending) throw expired();
    return pending;
  }

  /** A parked request's client may have left the clients file since (a restart): then it is an error page too. */
  private targetOf(request: AuthorizationRequest): RedirectTarget {
    const client = this.deps.clients.find(request.clientId);
    if (!client) throw expired();
    return { client, redirectUri: request.redirectUri, ...(request.state !== undefined ? { state: request.state } : {}) };
  }

  private errorRedirect(target: RedirectTarget, error: string, description: string | undefined): AuthorizeOutcome {
    return this.redirect(target, { error, ...(description ? { error_description: description } : {}) });
  }

  /** Every answer to the redirect URI carries `state` and `iss` (RFC 9207 §2), so a client can tell which server answered. */
  private redirect(target: RedirectTarget, parameters: Record<string, string>): AuthorizeOutcome {
    const url = new URL(target.redirectUri);
    for (const [name, value] of Object.entries(parameters)) url.searchParams.set(name, value);
    if (target.state !== undefined) url.searchParams.set('state', target.state);
    url.searchParams.set('iss', this.deps.issuer);
    return { kind: 'redirect', location: url.href };
  }
}
