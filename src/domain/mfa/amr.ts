/**
 * Authentication Method Reference values (RFC 8176 §2) this service records,
 * and the ACR value (OIDC Core §2) a relying party asks for to get a second
 * factor. A recovery code is a one-time password (RFC 8176 `otp`), like a TOTP
 * code.
 */
export const AMR = { password: 'pwd', oneTimePassword: 'otp', hardwareKey: 'hwk', softwareKey: 'swk', multipleFactors: 'mfa' } as const;

/** The PAPE multi-factor policy URI, the acr value relying parties commonly send for "a second factor was used". */
export const MFA_ACR = 'http://schemas.openid.net/pape/policies/2007/06/multi-factor';

export const ACR_VALUES_SUPPORTED = [MFA_ACR] as const;

const SECOND_FACTORS = new Set<string>([AMR.oneTimePassword, AMR.hardwareKey, AMR.softwareKey, AMR.multipleFactors]);

/** True when a login's methods include a second factor. */
export const usedSecondFactor = (amr: readonly string[]): boolean => amr.some((method) => SECOND_FACTORS.has(method));

/** True when the space-separated `acr_values` of a request ask for the multi-factor policy. */
export const requestsMfa = (acrValues: string | undefined): boolean => (acrValues ?? '').split(' ').includes(MFA_ACR);
