import type { Config } from '../config/index.js';

/** One row-returning SQL call, parameterised ($1, $2…). */
export type Query = <Row extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[]) => Promise<Row[]>;

/** A single connection, held for work that must not interleave (migrations under an advisory lock). */
export interface DatabaseSession {
  query: Query;
  /** Runs a multi-statement script with the simple query protocol. */
  exec(script: string): Promise<void>;
}

/** What every store implementation needs from a database, whichever engine backs it. */
export interface DatabaseHandle {
  readonly kind: Config['database']['kind'];
  query: Query;
  withSession<T>(work: (session: DatabaseSession) => Promise<T>): Promise<T>;
  /** Runs `work` in one transaction (READ COMMITTED): committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (query: Query) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
