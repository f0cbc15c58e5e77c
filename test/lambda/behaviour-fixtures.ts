import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { zipSync, type Zippable } from 'fflate';

const FIXTURES = path.join(import.meta.dirname, 'fixtures', 'behaviour');

/** A zip of one behaviour-test function (fixtures/behaviour/KIND); the shell `bootstrap` is executable in it. */
export function fixtureZip(kind: 'node' | 'python' | 'shell'): Uint8Array {
  const dir = path.join(FIXTURES, kind);
  const files: Zippable = {};
  for (const file of readdirSync(dir)) {
    files[file] = [
      readFileSync(path.join(dir, file)),
      { os: 3, attrs: (file === 'bootstrap' ? 0o100755 : 0o100644) << 16 },
    ];
  }
  return zipSync(files);
}
