import type { SigningKeyRecord } from '../../src/domain/keys/signing-key.js';
import type { SigningKeyStore, SigningKeyWriter } from '../../src/domain/keys/signing-key-store.js';

/** An in-memory SigningKeyStore for unit tests: `exclusive` runs one at a time, like the advisory lock. */
export function memorySigningKeyStore(initial: SigningKeyRecord[] = []) {
  const rows = new Map(initial.map((row) => [row.kid, row]));
  let queue: Promise<unknown> = Promise.resolve();
  const counts = { list: 0, exclusive: 0 };
  const list = async () => {
    counts.list += 1;
    return [...rows.values()].map((row) => ({ ...row }));
  };
  const update = (kid: string, fields: Partial<SigningKeyRecord>) => {
    const row = rows.get(kid);
    if (!row) throw new Error(`no row ${kid}`);
    rows.set(kid, { ...row, ...fields });
  };
  const writer: SigningKeyWriter = {
    list,
    insert: async (key) => {
      if (rows.has(key.kid)) throw new Error(`duplicate kid ${key.kid}`);
      rows.set(key.kid, { ...key });
    },
    retire: async (kid, at) => update(kid, { retiredAt: at }),
    markCompromised: async (kid, at) => update(kid, { compromisedAt: at }),
  };
  const store: SigningKeyStore = {
    list,
    exclusive<T>(work: (keys: SigningKeyWriter) => Promise<T>): Promise<T> {
      counts.exclusive += 1;
      const run = queue.then(() => work(writer));
      queue = run.catch(() => {});
      return run;
    },
  };
  return { store, rows, counts };
}
