export { createVerifier, Verifier } from './verifier.js';
export type { AccessTokenClaims, Presentation, RequestCredentials, VerifierEventMap, VerifierOptions, VerifierStatus } from './verifier.js';
export type { RevocationOptions } from './revocation-feed.js';
export type { DpopPresentation } from './dpop.js';
export { VerifierError, isClientError, type VerifierErrorCode } from './errors.js';
