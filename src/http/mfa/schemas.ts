/** JSON schemas of the second-factor routes (the shapes openapi.yaml documents). */

/** A TOTP code (6 digits) or a recovery code (12 symbols, dashes and spaces allowed). */
export const codeSchema = { type: 'string', minLength: 1, maxLength: 32 } as const;

export const codeBody = { type: 'object', required: ['code'], additionalProperties: false, properties: { code: codeSchema } } as const;

export const recoveryCodesSchema = {
  type: 'object',
  required: ['recovery_codes'],
  properties: { recovery_codes: { type: 'array', items: { type: 'string' } } },
} as const;

export const enrolmentSchema = {
  type: 'object',
  required: ['otpauth_uri', 'secret', 'qr_code'],
  properties: { otpauth_uri: { type: 'string' }, secret: { type: 'string' }, qr_code: { type: 'string' } },
} as const;

export const mfaStatusSchema = {
  type: 'object',
  required: ['totp', 'recovery_codes_remaining', 'factors'],
  properties: {
    totp: { type: 'string', enum: ['none', 'pending', 'active'] },
    recovery_codes_remaining: { type: 'integer', minimum: 0 },
    factors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['kind', 'id', 'created_at'],
        properties: { kind: { type: 'string' }, id: { type: 'string' }, created_at: { type: 'string', format: 'date-time' }, remaining: { type: 'integer' } },
      },
    },
  },
} as const;
