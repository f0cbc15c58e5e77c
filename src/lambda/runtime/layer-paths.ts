import path from 'node:path';

/** The system PATH of an execution environment, before the layers' `bin`. */
export const SYSTEM_PATH = '/usr/local/bin:/usr/bin:/bin';

/**
 * The variables through which a runtime finds its function's layers, as Lambda sets them for `/opt`, with `optDir`
 * (the layers unpacked one over the other) in its place: `bin` on PATH, `lib` on LD_LIBRARY_PATH, and the
 * runtime's package directories on NODE_PATH or PYTHONPATH.
 */
export function layerVariables(runtime: string, optDir: string): Record<string, string> {
  const opt = (...parts: string[]) => path.join(optDir, ...parts);
  const variables: Record<string, string> = {
    PATH: `${SYSTEM_PATH}:${opt('bin')}`,
    LD_LIBRARY_PATH: opt('lib'),
  };
  const node = /^nodejs(\d+)/.exec(runtime);
  if (node) {
    variables.NODE_PATH = [opt('nodejs', `node${node[1]}`, 'node_modules'), opt('nodejs', 'node_modules')].join(':');
  }
  if (runtime.startsWith('python')) {
    variables.PYTHONPATH = [opt('python', 'lib', runtime, 'site-packages'), opt('python')].join(':');
  }
  return variables;
}
