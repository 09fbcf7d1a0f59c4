/** argon2id cost parameters. */
export interface Argon2Parameters {
  /** KiB. */
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

/**
 * The OWASP Password Storage Cheat Sheet's argon2id rows: each trades memory
 * for passes at equal strength. Parameters are accepted when their memory
 * reaches the row of their time cost.
 */
const OWASP_MIN_MEMORY_KIB_BY_TIME_COST: Record<number, number> = { 1: 47104, 2: 19456, 3: 12288, 4: 9216, 5: 7168 };

export function meetsOwaspMinimum(parameters: Pick<Argon2Parameters, 'memoryCost' | 'timeCost'>): boolean {
  const row = OWASP_MIN_MEMORY_KIB_BY_TIME_COST[Math.min(parameters.timeCost, 5)];
  return row !== undefined && parameters.memoryCost >= row;
}
