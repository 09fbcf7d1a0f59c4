import { sessionSchema } from '../accounts/schemas.js';

/** A PublicKeyCredential as @simplewebauthn/browser serialises it (RegistrationResponseJSON / AuthenticationResponseJSON). */
export const credentialResponseSchema = {
  type: 'object',
  required: ['id', 'rawId', 'type', 'response'],
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 1400 },
    rawId: { type: 'string', minLength: 1, maxLength: 1400 },
    type: { const: 'public-key' },
    response: { type: 'object' },
    authenticatorAttachment: { type: 'string', maxLength: 32 },
    clientExtensionResults: { type: 'object' },
  },
} as const;

export const passkeyNameSchema = { type: 'string', minLength: 1, maxLength: 64 } as const;

export const passkeySchema = {
  type: 'object',
  required: ['id', 'name', 'created_at', 'last_used_at', 'synced', 'backed_up', 'transports', 'aaguid'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' },
    last_used_at: { type: ['string', 'null'], format: 'date-time' },
    synced: { type: 'boolean' },
    backed_up: { type: 'boolean' },
    transports: { type: 'array', items: { type: 'string' } },
    aaguid: { type: 'string' },
  },
} as const;

/** PublicKeyCredentialCreationOptionsJSON / …RequestOptionsJSON, passed to the browser as the library made them. */
export const ceremonyOptionsSchema = { type: 'object', required: ['challenge'], additionalProperties: true, properties: { challenge: { type: 'string' } } } as const;

/** A passkey sign-in's answer: the session, and where the browser goes next. */
export const passkeySignInSchema = {
  ...sessionSchema,
  required: [...sessionSchema.required, 'location'],
  properties: { ...sessionSchema.properties, location: { type: 'string' } },
} as const;
