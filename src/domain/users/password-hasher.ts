/**
 * A slow, salted password hash that records its own parameters (a PHC
 * string), so they can be raised later and old hashes upgraded at login.
 */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** False for a wrong password and for a hash it cannot read; never throws for either. */
  verify(hash: string, password: string): Promise<boolean>;
  /** True when `hash` was made with parameters other than the current ones. */
  needsRehash(hash: string): boolean;
}
