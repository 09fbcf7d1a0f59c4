import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';

/**
 * Every process and resource the bench starts, so that a normal end, an error
 * and Ctrl-C all leave nothing behind: children are killed by their own pid
 * (never by name), and cleanup steps (dropping databases) run once.
 */
const children = new Set<ChildProcess>();
const cleanups: (() => Promise<void>)[] = [];
let cleaning: Promise<void> | undefined;

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function spawnTracked(command: string, args: string[], options: SpawnOptions): ChildProcess {
  return track(spawn(command, args, options));
}

/** Ends one child: SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Registers an async cleanup (run in reverse order of registration). */
export function onCleanup(step: () => Promise<void>): void {
  cleanups.push(step);
}

export function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.allSettled([...children].map((child) => stopChild(child)));
    for (const step of cleanups.reverse()) {
      try {
        await step();
      } catch (error) {
        console.error(`cleanup step failed: ${(error as Error).message}`);
      }
    }
  })();
  return cleaning;
}

let installed = false;

/** SIGINT/SIGTERM: clean up, then exit 130/143. A last-resort exit hook kills whatever is still running. */
export function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the service and dropping the bench databases…`);
      void cleanup().finally(() => process.exit(code));
    });
  }
  process.once('exit', () => {
    for (const child of children) child.kill('SIGKILL');
  });
}
