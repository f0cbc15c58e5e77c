import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A child process recorded in the data dir, so that the next `ddn up` can stop one its crashed parent left. */
export class PidFile {
  constructor(
    readonly file: string,
    /** Text the recorded process's command line must contain to be ours (pids are reused). */
    private readonly marker: string,
  ) {}

  write(pid: number): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileSync(this.file, `${pid}\n`);
  }

  remove(): void {
    rmSync(this.file, { force: true });
  }

  /** Stops the recorded process if it still runs and is ours: SIGTERM, then SIGKILL after `graceMs`. The pid, if one was stopped. */
  async stopStale(graceMs = 5000): Promise<number | undefined> {
    if (!existsSync(this.file)) return undefined;
    const pid = Number(readFileSync(this.file, 'utf8').trim());
    this.remove();
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid || !commandLine(pid)?.includes(this.marker))
      return undefined;
    signal(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (alive(pid) && Date.now() < deadline) await sleep(50);
    if (alive(pid)) signal(pid, 'SIGKILL');
    while (alive(pid)) await sleep(20);
    return pid;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie (exited, not yet reaped by its new parent) counts as gone.
    return !/^\S+ \(.*\) Z/.test(readStat(pid));
  } catch {
    return false;
  }
}

function readStat(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return '';
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

function commandLine(pid: number): string | undefined {
  try {
    if (existsSync('/proc')) return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return execFileSync('ps', ['-p', String(pid), '-o', 'command='], { encoding: 'utf8' });
  } catch {
    return undefined;
  }
}
