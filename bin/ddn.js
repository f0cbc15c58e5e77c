#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, from a clone or from an installed package.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
