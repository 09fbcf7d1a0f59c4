import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

/** Directories this process holds: a second open from the same process is refused too. */
const held = new Set<string>();

/**
 * Takes the embedded database's directory for this process. PGlite has no
 * lock of its own, and a second process writing the same files (the `keys`
 * or `users` command while the service runs) corrupts the database, so a
 * file names the pid of the process that has it open. A file left by a process
 * that is gone (a crash, a killed container whose successor may even reuse
 * the pid) is taken over. The file sits beside the directory, not in it,
 * which stays PGlite's alone. Answers the release.
 */
export function lockDataDir(dataDir: string): () => void {
  const path = `${dataDir}.pid`;
  if (held.has(path)) throw inUse(dataDir, process.pid);
  if (!create(path)) {
    const owner = ownerOf(path);
    if (owner !== undefined && owner !== process.pid && isAlive(owner)) throw inUse(dataDir, owner);
    rmSync(path, { force: true });
    if (!create(path)) throw inUse(dataDir, ownerOf(path));
  }
  held.add(path);
  return () => {
    held.delete(path);
    if (ownerOf(path) === process.pid) rmSync(path, { force: true });
  };
}

/** Creates the file with its content in one step (a link fails if it exists), so no reader ever sees it empty. */
function create(path: string): boolean {
  const draft = `${path}.${process.pid}`;
  writeFileSync(draft, String(process.pid));
  try {
    linkSync(draft, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(draft, { force: true });
  }
}

function ownerOf(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const inUse = (dataDir: string, owner: number | undefined) =>
  new Error(`the embedded database in ${dataDir} is in use by process ${owner ?? '(unknown)'}; it serves one process: stop that one first`);
