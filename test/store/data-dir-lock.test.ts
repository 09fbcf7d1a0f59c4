import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockDataDir } from '../../src/store/data-dir-lock.js';
import { openEmbedded } from '../../src/store/embedded.js';

const freshDir = () => join(mkdtempSync(join(tmpdir(), 'idsvc-lock-')), 'pglite');

describe('the embedded database directory lock', () => {
  it('names its owner beside the directory, refuses a second open, and goes with the release', () => {
    const dir = freshDir();
    const release = lockDataDir(dir);
    expect(readFileSync(`${dir}.pid`, 'utf8')).toBe(String(process.pid));
    expect(() => lockDataDir(dir)).toThrow(`the embedded database in ${dir} is in use by process ${process.pid}`);
    release();
    expect(existsSync(`${dir}.pid`)).toBe(false);
    lockDataDir(dir)();
  });

  it('refuses while another live process holds it, and takes it over once that process is gone', async () => {
    const dir = freshDir();
    const other = spawn('sleep', ['30']);
    writeFileSync(`${dir}.pid`, String(other.pid));
    expect(() => lockDataDir(dir)).toThrow(`in use by process ${other.pid}`);
    other.kill('SIGKILL');
    await once(other, 'exit');
    const release = lockDataDir(dir);
    expect(readFileSync(`${dir}.pid`, 'utf8')).toBe(String(process.pid));
    release();
  });

  it('takes over a file it cannot read a pid from', () => {
    const dir = freshDir();
    writeFileSync(`${dir}.pid`, 'not a pid');
    lockDataDir(dir)();
  });

  it('keeps a second PGlite off a directory that is open, until it is closed', async () => {
    const dir = freshDir();
    const first = await openEmbedded(dir);
    await expect(openEmbedded(dir)).rejects.toThrow('is in use by process');
    await first.handle.close();
    const second = await openEmbedded(dir);
    expect(await second.handle.query<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await second.handle.close();
  });
});
