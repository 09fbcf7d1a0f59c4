import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

const b64url = (bytes: Uint8Array | Buffer) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();

// Authenticator data flags (WebAuthn §6.1): user present, user verified, backup eligible, backed up, attested credential data.
const UP = 0x01;
const UV = 0x04;
const BE = 0x08;
const BS = 0x10;
const AT = 0x40;

interface Credential {
  readonly id: Buffer;
  readonly key: KeyObject;
  readonly userHandle: string;
  counter: number;
}

export interface SoftAuthenticatorOptions {
  /** The page origin the client data claims. */
  origin: string;
  /** The RP ID whose hash the authenticator data carries; the origin's hostname unless set. */
  rpId?: string;
  /** A synced passkey (BE and BS set), as a cloud keychain makes; else device-bound. */
  synced?: boolean;
  /** Counts signatures (a security key); false answers 0 every time, as synced passkeys do. */
  counts?: boolean;
  userVerified?: boolean;
}

/**
 * A software WebAuthn authenticator for HTTP-level tests: ES256 credentials
 * made with node:crypto, "none" attestation, responses shaped as
 * @simplewebauthn/browser sends them. Everything a real client would get
 * right (origin, RP ID, challenge) can be set wrong on purpose.
 */
export class SoftAuthenticator {
  readonly credentials: Credential[] = [];
  constructor(readonly options: SoftAuthenticatorOptions) {}

  private authData(flags: number, counter: number, attested?: Buffer): Buffer {
    const rpId = this.options.rpId ?? new URL(this.options.origin).hostname;
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    const backup = this.options.synced ? BE | BS : 0;
    const verified = this.options.userVerified === false ? 0 : UV;
    return Buffer.concat([sha256(rpId), Buffer.from([flags | UP | verified | backup]), count, attested ?? Buffer.alloc(0)]);
  }

  private clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin: this.options.origin, crossOrigin: false }), 'utf8');
  }

  /** Answers registration options (PublicKeyCredentialCreationOptionsJSON) with a new credential. */
  register(options: { challenge: string; user: { id: string } }) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x ?? '', 'base64url')],
        [-3, Buffer.from(jwk.y ?? '', 'base64url')],
      ]),
    );
    const id = randomBytes(16);
    const length = Buffer.alloc(2);
    length.writeUInt16BE(id.length);
    const attested = Buffer.concat([Buffer.alloc(16), length, id, Buffer.from(cose)]);
    const authData = this.authData(AT, 0, attested);
    const attestationObject = isoCBOR.encode(new Map<string, string | Map<string, string> | Uint8Array>([['fmt', 'none'], ['attStmt', new Map<string, string>()], ['authData', authData]]));
    this.credentials.push({ id, key: privateKey, userHandle: options.user.id, counter: 0 });
    return {
      id: b64url(id),
      rawId: b64url(id),
      type: 'public-key',
      response: {
        clientDataJSON: b64url(this.clientData('webauthn.create', options.challenge)),
        attestationObject: b64url(attestationObject),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** Answers authentication options with an assertion by a credential (the latest by default). */
  authenticate(options: { challenge: string }, credential = this.credentials.at(-1)) {
    if (!credential) throw new Error('no credential to sign with');
    if (this.options.counts !== false) credential.counter += 1;
    const authData = this.authData(0, this.options.counts === false ? 0 : credential.counter);
    const clientDataJSON = this.clientData('webauthn.get', options.challenge);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), credential.key);
    return {
      id: b64url(credential.id),
      rawId: b64url(credential.id),
      type: 'public-key',
      response: { clientDataJSON: b64url(clientDataJSON), authenticatorData: b64url(authData), signature: b64url(signature), userHandle: credential.userHandle },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }
}
