/**
 * A user's second factors, of every kind (TOTP here; passkeys and others add
 * their own kind). Each kind lists and removes its own; `SecondFactors`
 * answers for all of them, so an admin reset or the login step never needs to
 * know which kinds exist.
 */
export type FactorKind = 'totp' | 'recovery_codes' | (string & {});

export interface FactorSummary {
  readonly kind: FactorKind;
  /** A stable id within the kind (the credential id of a passkey; the kind itself for TOTP). */
  readonly id: string;
  readonly createdAt: Date;
  /** Recovery codes: how many are left unused. */
  readonly remaining?: number;
}

/** One kind of second factor, as the composition root registers it. */
export interface SecondFactorKind {
  readonly kind: FactorKind;
  /** Only active factors (a pending TOTP enrolment is not one). */
  list(userId: string): Promise<FactorSummary[]>;
  /** Removes every factor of this kind the user has, pending ones included. */
  reset(userId: string): Promise<void>;
  /** True when this kind can complete a login on its own (recovery codes only back up another factor). */
  readonly signsIn: boolean;
}

export interface SecondFactors {
  list(userId: string): Promise<FactorSummary[]>;
  reset(userId: string): Promise<void>;
  /** True when a password alone no longer signs the user in. */
  isEnrolled(userId: string): Promise<boolean>;
}

export function secondFactors(kinds: readonly SecondFactorKind[]): SecondFactors {
  const list = async (userId: string) => (await Promise.all(kinds.map((kind) => kind.list(userId)))).flat();
  return {
    list,
    async reset(userId) {
      for (const kind of kinds) await kind.reset(userId);
    },
    async isEnrolled(userId) {
      const signing = kinds.filter((kind) => kind.signsIn);
      return (await Promise.all(signing.map((kind) => kind.list(userId)))).some((factors) => factors.length > 0);
    },
  };
}
