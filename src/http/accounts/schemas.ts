/** JSON schemas shared by the account, session and device routes (the same shapes openapi.yaml documents). */

export const emailSchema = { type: 'string', minLength: 1, maxLength: 320 } as const;
// Generous on purpose: the 1024-character policy is checked by the domain, before any hashing.
export const passwordSchema = { type: 'string', minLength: 1, maxLength: 4096 } as const;

export const userSchema = {
  type: 'object',
  required: ['id', 'email', 'roles'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    email: { type: 'string' },
    roles: { type: 'array', items: { type: 'string', enum: ['user', 'admin'] } },
  },
} as const;

export const sessionSchema = {
  type: 'object',
  required: ['user', 'created_at', 'expires_at', 'idle_expires_at', 'csrf_token'],
  properties: {
    user: userSchema,
    created_at: { type: 'string', format: 'date-time' },
    expires_at: { type: 'string', format: 'date-time' },
    idle_expires_at: { type: 'string', format: 'date-time' },
    csrf_token: { type: 'string' },
    // docs/mfa.md: how and when the user signed in (RFC 8176, OIDC auth_time).
    amr: { type: 'array', items: { type: 'string' } },
    auth_time: { type: 'integer' },
  },
} as const;

export const revokedSchema = {
  type: 'object',
  required: ['browser_sessions', 'token_families'],
  properties: {
    browser_sessions: { type: 'integer', minimum: 0 },
    token_families: { type: 'integer', minimum: 0 },
  },
} as const;

export const userIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', format: 'uuid' } },
} as const;
