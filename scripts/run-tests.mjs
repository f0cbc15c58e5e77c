#!/usr/bin/env node
// Runs every test/**/*.test.ts (or those under the paths given) with node:test through tsx.
import { readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['test'];
const files = [];
const walk = (p) => {
  if (statSync(p).isDirectory()) {
    for (const name of readdirSync(p).sort())
      if (name !== 'node_modules' && name !== 'fixtures') walk(path.join(p, name));
  } else if (p.endsWith('.test.ts')) files.push(p);
};
roots.forEach(walk);
if (files.length === 0) {
  console.error(`no test files under ${roots.join(', ')}`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  [
    path.join('node_modules', 'tsx', 'dist', 'cli.mjs'),
    '--test',
    '--test-timeout=300000',
    '--test-concurrency=2',
    ...files,
  ],
  { stdio: 'inherit', env: { ...process.env, DDN_LOG_LEVEL: process.env.DDN_LOG_LEVEL ?? 'silent' } },
);
process.exit(result.status ?? 1);
