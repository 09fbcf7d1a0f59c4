/** Form parameters are single strings; a repeated parameter arrives as an array and is refused (RFC 6749 §3.1). */
export const formBody = (required: string[]) =>
  ({
    type: 'object',
    required,
    additionalProperties: { type: 'string' },
  }) as const;

export const tokenResponseSchema = {
  type: 'object',
  required: ['access_token', 'token_type', 'expires_in', 'scope'],
  properties: {
    access_token: { type: 'string' },
    token_type: { type: 'string' },
    expires_in: { type: 'integer' },
    refresh_token: { type: 'string' },
    scope: { type: 'string' },
    id_token: { type: 'string' },
  },
} as const;
