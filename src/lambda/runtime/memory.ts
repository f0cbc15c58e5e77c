import { readFileSync } from 'node:fs';

/** Resident memory of a process and all its descendants, in bytes (0 once it is gone). Linux /proc only. */
export function treeRssBytes(pid: number): number {
  let total = 0;
  const stack = [pid];
  for (let seen = 0; stack.length > 0 && seen < 1024; seen++) {
    const current = stack.pop()!;
    total += rssBytes(current);
    let children: string;
    try {
      children = readFileSync(`/proc/${current}/task/${current}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const child of children.split(' ')) if (child.trim() !== '') stack.push(Number(child));
  }
  return total;
}

function rssBytes(pid: number): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return 0;
  }
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}
