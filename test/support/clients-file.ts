import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The demo clients plus `extra`, in a clients file of their own (pass `file` as CLIENTS_FILE; `remove` when done). */
export function clientsFileWith(...extra: unknown[]): { file: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'idsvc-clients-'));
  const demo = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../config/clients.demo.json'), 'utf8')) as { clients: unknown[] };
  const file = path.join(dir, 'clients.json');
  writeFileSync(file, JSON.stringify({ clients: [...demo.clients, ...extra] }));
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
