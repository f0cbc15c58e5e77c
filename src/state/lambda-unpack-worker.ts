// A worker thread that unpacks one deployment package (off the edge's event loop): see `unpackInWorker`.
import { parentPort, workerData } from 'node:worker_threads';
import { InvalidCodeError, unpackZip } from './lambda-unpack.ts';

// `zips`: several packages unpacked in order into one tree, the later over the earlier (a function's layers).
const { zips, staging } = workerData as { zips: Uint8Array[]; staging: string };
try {
  parentPort!.postMessage({ sha256: zips.map((zip) => unpackZip(zip, staging)).at(-1) });
} catch (err) {
  parentPort!.postMessage({ error: (err as Error).message, invalid: err instanceof InvalidCodeError });
}
