import type { FastifyInstance } from 'fastify';
import { Secret, TOTP } from 'otpauth';
import type { Clock } from '../../src/domain/clock.js';

/** The code an authenticator app shows for `secret` (base32) at the clock's time, `steps` 30-second steps away. */
export const totpCode = (secret: string, clock: Clock, steps = 0): string =>
  TOTP.generate({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30, timestamp: clock.now().getTime() + steps * 30_000 });

/** Enrols TOTP through the API for a Bearer caller; answers the secret and the recovery codes. */
export async function enrolTotp(app: FastifyInstance, accessToken: string, clock: Clock): Promise<{ secret: string; recoveryCodes: string[] }> {
  const headers = { authorization: `Bearer ${accessToken}` };
  const started = await app.inject({ method: 'POST', url: '/v1/me/mfa/totp', headers });
  if (started.statusCode !== 201) throw new Error(`enrolment failed: ${started.statusCode} ${started.body}`);
  const { secret } = started.json() as { secret: string };
  const confirmed = await app.inject({ method: 'POST', url: '/v1/me/mfa/totp/confirm', headers, payload: { code: totpCode(secret, clock) } });
  if (confirmed.statusCode !== 200) throw new Error(`confirmation failed: ${confirmed.statusCode} ${confirmed.body}`);
  return { secret, recoveryCodes: (confirmed.json() as { recovery_codes: string[] }).recovery_codes };
}
