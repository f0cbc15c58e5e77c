// The runtime of process-floor.mjs's children: the least a Lambda runtime does over the Runtime API. One kept-alive
// connection; each result posted in the same write as the next `invocation/next`; the handler is HANDLER_SOURCE.
import net from 'node:net';

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const handler = (0, eval)(`(${process.env.HANDLER_SOURCE})`);
const NEXT = `GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
const REQUEST_ID = 'lambda-runtime-aws-request-id:';

const socket = net.connect(Number(port), host);
socket.setNoDelay(true);
socket.on('close', () => process.exit(0));
let buffer = Buffer.alloc(0);
socket.on('data', (chunk) => {
  buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
  for (;;) {
    const end = buffer.indexOf('\r\n\r\n');
    if (end === -1) return;
    const head = buffer.latin1Slice(0, end);
    const lower = head.toLowerCase();
    const at = lower.indexOf('content-length:');
    const length = at === -1 ? 0 : parseInt(head.slice(at + 15), 10);
    if (buffer.length < end + 4 + length) return;
    const body = buffer.utf8Slice(end + 4, end + 4 + length);
    buffer = buffer.subarray(end + 4 + length);
    // The answers to posted results (202) need nothing.
    if (head.startsWith('HTTP/1.1 202')) continue;
    const idAt = lower.indexOf(REQUEST_ID) + REQUEST_ID.length;
    const idEnd = head.indexOf('\r\n', idAt);
    void invoke(head.slice(idAt, idEnd === -1 ? undefined : idEnd).trim(), body);
  }
});

async function invoke(id, body) {
  const payload = JSON.stringify(await handler(JSON.parse(body), {}));
  socket.write(
    `POST /2018-06-01/runtime/invocation/${id}/response HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}${NEXT}`,
  );
}

socket.write(NEXT);
