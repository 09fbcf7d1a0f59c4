/** What a route declares about itself; hooks read these instead of matching URLs. */
declare module 'fastify' {
  interface FastifyContextConfig {
    /** OAuth endpoints answer RFC 6749 errors; everything else RFC 9457 problems. */
    errorFormat?: 'oauth' | 'problem';
  }
}
export {};
