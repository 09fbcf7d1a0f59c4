import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';
import type { SecondFactors } from '../../domain/mfa/second-factors.js';
import type { TotpFactor } from '../../domain/mfa/totp-factor.js';
import type { Accounts } from '../../domain/users/accounts.js';
import type { RateLimit } from '../accounts/rate-limits.js';
import { activeUserOf, principalOf } from '../auth/plugin.js';
import { qrCodeSvg, svgDataUrl } from './qr-code.js';
import { codeBody, enrolmentSchema, mfaStatusSchema, recoveryCodesSchema } from './schemas.js';

export interface MfaEnrolmentRoutesOptions {
  accounts: Accounts;
  totp: TotpFactor;
  factors: SecondFactors;
  /** Every route that takes a code counts against it. */
  limitCodes: RateLimit;
}

const signedIn = { auth: 'session-or-bearer' } as const;

/** The signed-in user's own second factors: status, TOTP enrolment and removal, recovery codes. */
export async function mfaEnrolmentRoutes(app: FastifyInstance, { accounts, totp, factors, limitCodes }: MfaEnrolmentRoutesOptions) {
  const context = (request: FastifyRequest) => ({ ip: request.ip });
  const withCode = { config: signedIn, preHandler: async (request: FastifyRequest) => limitCodes(request) };

  app.get('/v1/me/mfa', { config: signedIn, schema: { response: { 200: mfaStatusSchema } } }, async (request) => {
    const { userId } = principalOf(request);
    const status = await totp.status(userId);
    const list = await factors.list(userId);
    return {
      totp: status.totp,
      recovery_codes_remaining: status.recoveryCodesRemaining,
      factors: list.map((factor) => ({ kind: factor.kind, id: factor.id, created_at: factor.createdAt.toISOString(), ...(factor.remaining !== undefined ? { remaining: factor.remaining } : {}) })),
    };
  });

  app.post('/v1/me/mfa/totp', { config: signedIn, schema: { response: { 201: enrolmentSchema } } }, async (request, reply) => {
    const user = await activeUserOf(request, accounts);
    if (!user) throw new AppError('unauthenticated', 'The account is no longer active.');
    const enrolment = await totp.start(user);
    // The secret is in this answer only: no cache may keep it.
    return reply.code(201).header('cache-control', 'no-store').send({ otpauth_uri: enrolment.uri, secret: enrolment.secret, qr_code: svgDataUrl(await qrCodeSvg(enrolment.uri)) });
  });

  app.post<{ Body: { code: string } }>('/v1/me/mfa/totp/confirm', { ...withCode, schema: { body: codeBody, response: { 200: recoveryCodesSchema } } }, async (request, reply) => {
    const codes = await totp.confirm(principalOf(request).userId, request.body.code, context(request));
    return reply.header('cache-control', 'no-store').send({ recovery_codes: codes });
  });

  app.delete<{ Body: { code: string } }>('/v1/me/mfa/totp', { ...withCode, schema: { body: codeBody } }, async (request, reply) => {
    await totp.remove(principalOf(request).userId, request.body.code, context(request));
    return reply.code(204).send();
  });

  app.post<{ Body: { code: string } }>('/v1/me/mfa/recovery-codes', { ...withCode, schema: { body: codeBody, response: { 200: recoveryCodesSchema } } }, async (request, reply) => {
    const codes = await totp.regenerateRecoveryCodes(principalOf(request).userId, request.body.code, context(request));
    return reply.header('cache-control', 'no-store').send({ recovery_codes: codes });
  });
}
