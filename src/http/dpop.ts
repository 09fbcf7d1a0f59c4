import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Client } from '../domain/clients/client.js';
import { AppError } from '../domain/errors.js';
import type { DpopProofs } from '../domain/tokens/dpop/dpop-proofs.js';

/**
 * The request's one `DPoP` header (RFC 9449 §4.3 item 1), if any. Node joins
 * repeated headers with ", ", which a compact JWS never contains.
 */
export function dpopProofOf(request: FastifyRequest): string | undefined {
  const value = request.headers.dpop;
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.includes(',')) throw new AppError('invalid_dpop_proof', 'Send exactly one DPoP header.');
  return value;
}

/**
 * The thumbprint of the key a token request proves (RFC 9449 §5), if it sent
 * a proof of `uri`; a client registered with `require_dpop` must (§5.2).
 * Only a request that sent a proof pays for DPoP: Bearer clients never reach jose.
 */
export async function tokenRequestKey(request: FastifyRequest, client: Client, dpop: DpopProofs, uri: string): Promise<string | undefined> {
  const proof = dpopProofOf(request);
  if (proof === undefined) {
    if (client.requireDpop) throw new AppError('invalid_dpop_proof', 'This client must send a DPoP proof with every token request.');
    return undefined;
  }
  return (await dpop.verify(proof, { method: request.method, uri })).jkt;
}

/** RFC 9449 §8.2: the next nonce rides on a DPoP client's answer, so its next request needs no extra round trip. */
export function sendDpopNonce(reply: FastifyReply, dpop: DpopProofs, jkt: string | undefined): void {
  const nonce = jkt && dpop.nonce();
  if (nonce) reply.header('dpop-nonce', nonce);
}
