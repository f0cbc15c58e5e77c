import type { IncomingMessage } from 'node:http';

/**
 * Calls `onIdle` once when a request declares a body and no byte of it arrives for `idleMs` (checked every
 * `idleMs`, so it fires between one and two periods of silence), also after an early answer (Node then waits for
 * the rest of the body before the connection can serve another request). Stops when the body ends or the connection
 * closes. The count is of bytes read from the socket: a service that stops reading the body for that long
 * (backpressure) is taken for an idle client too.
 */
export function watchBodyIdle(req: IncomingMessage, idleMs: number, onIdle: () => void): void {
  if (idleMs <= 0 || req.complete || !declaresBody(req)) return;
  let lastRead = req.socket.bytesRead;
  const timer = setInterval(() => {
    const read = req.socket.bytesRead;
    if (read !== lastRead) return void (lastRead = read);
    stop();
    onIdle();
  }, idleMs);
  timer.unref();
  const socket = req.socket;
  const stop = () => {
    clearInterval(timer);
    req.off('end', stop);
    socket.off('close', stop);
  };
  req.once('end', stop);
  socket.once('close', stop);
}

/** Whether a request says a body follows (a length above 0 or chunked): only then is there anything to watch. */
export function declaresBody(req: IncomingMessage): boolean {
  return (
    req.headers['transfer-encoding'] !== undefined ||
    (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0')
  );
}
