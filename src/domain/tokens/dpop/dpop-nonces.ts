import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../clock.js';

/**
 * Server-issued DPoP nonces (RFC 9449 §8) without state: a nonce is the HMAC
 * of the current time window under a key every replica derives from the
 * master key, so any replica accepts a nonce another one issued. A nonce of
 * the previous window still counts, so one issued just before a window turns
 * is not refused on its first use.
 */
export class DpopNonces {
  constructor(
    private readonly key: Buffer,
    private readonly windowSeconds: number,
    private readonly clock: Clock,
  ) {}

  current(): string {
    return this.#nonceOf(this.#window());
  }

  isValid(nonce: string): boolean {
    const window = this.#window();
    const presented = Buffer.from(nonce);
    return [window, window - 1].some((candidate) => {
      const expected = Buffer.from(this.#nonceOf(candidate));
      return expected.length === presented.length && timingSafeEqual(expected, presented);
    });
  }

  #window(): number {
    return Math.floor(this.clock.now().getTime() / 1000 / this.windowSeconds);
  }

  #nonceOf(window: number): string {
    return createHmac('sha256', this.key).update(`dpop-nonce:${window}`).digest('base64url');
  }
}
