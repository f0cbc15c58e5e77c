// A worker thread that unpacks one deployment package (off the edge's event loop): see `unpackInWorker`.
import { parentPort, workerData } from 'node:worker_threads';
import { InvalidCodeError, unpackZip } from './lambda-unpack.ts';

const { zip, staging } = workerData as { zip: Uint8Array; staging: string };
try {
  parentPort!.postMessage({ sha256: unpackZip(zip, staging) });
} catch (err) {
  parentPort!.postMessage({ error: (err as Error).message, invalid: err instanceof InvalidCodeError });
}
