// Worker threads do not inherit tsx's loader: register it, then load the TypeScript worker
// (the job worker, or the module named by workerData.entry).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData?.entry ?? './worker.ts');
