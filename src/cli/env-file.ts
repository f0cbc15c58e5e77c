import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/**
 * Sets `NAME=value` in a dotenv file: replaces the first active assignment of NAME (keeping an
 * `export ` prefix), else appends a line. Every other line, comment and blank line is kept as is.
 */
export function upsertEnvFile(file: string, name: string, value: string): void {
  const original = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const eol = original.includes('\r\n') ? '\r\n' : '\n';
  const lines = original === '' ? [] : original.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const assignment = new RegExp(`^(\\s*(?:export\\s+)?)${name}\\s*=`);
  const line = `${name}=${quote(value)}`;
  const index = lines.findIndex((l) => assignment.test(l));
  if (index === -1) lines.push(line);
  else lines[index] = `${assignment.exec(lines[index])![1]}${line}`;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, lines.join(eol) + eol);
  renameSync(tmp, file);
}

function quote(value: string): string {
  return /^[A-Za-z0-9_./:@+-]*$/.test(value) ? value : JSON.stringify(value);
}
