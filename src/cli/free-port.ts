import { createServer } from 'node:net';

/** A port the OS says is free now (for DDN_INFERENCE_PORT=0: the port must stay the same across restarts). */
export async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
