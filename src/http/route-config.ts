/** What a route declares about itself; hooks read these instead of matching URLs. */
declare module 'fastify' {
  interface FastifyContextConfig {
    /** OAuth endpoints answer RFC 6749 errors; everything else RFC 9457 problems. */
    errorFormat?: 'oauth' | 'problem';
    /**
     * Who may call the route (http/auth/): a browser session cookie, a Bearer
     * access token, or either (the cookie is tried first). Unset: anyone.
     */
    auth?: 'session-or-bearer' | 'session' | 'bearer';
    /** A role the principal must hold (403 otherwise). */
    role?: 'admin';
    /** Refuse cross-site requests (Origin / Sec-Fetch-Site) even without a session: login and sign-up. */
    sameOrigin?: boolean;
    /** A form post must carry the pre-login session's CSRF token (the login form). */
    preSessionCsrf?: boolean;
    /**
     * The route may start a browser session for a request without the cookie
     * (sign-in, the login form's pre-login session). Elsewhere such a request
     * gets no session object at all (http/session/plugin.ts).
     */
    startsSession?: boolean;
  }
}
export {};
