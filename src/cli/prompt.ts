import { createInterface } from 'node:readline/promises';

/**
 * Answers for a command's questions: typed at a terminal (hidden for secrets), else read one line each
 * from stdin in the order asked (`printf 'pw\n' | ddn login --username alice`).
 */
export class Prompter {
  private lines?: Promise<string[]>;

  constructor(
    private readonly input: NodeJS.ReadStream = process.stdin,
    private readonly output: NodeJS.WriteStream = process.stderr,
  ) {}

  async ask(question: string, options: { secret?: boolean } = {}): Promise<string> {
    if (!this.input.isTTY) return this.nextLine(question);
    return options.secret ? this.askHidden(question) : this.askVisible(question);
  }

  private async nextLine(question: string): Promise<string> {
    this.lines ??= readAll(this.input).then((text) => text.split(/\r?\n/));
    const line = (await this.lines).shift();
    if (line === undefined) throw new Error(`no answer on stdin for "${question.replace(/:\s*$/, '')}"`);
    return line;
  }

  private async askVisible(question: string): Promise<string> {
    const rl = createInterface({ input: this.input, output: this.output });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  }

  /** Raw mode, echoing nothing; Enter ends, Ctrl-C aborts, Backspace deletes. */
  private askHidden(question: string): Promise<string> {
    const input = this.input;
    this.output.write(question);
    return new Promise((resolve, reject) => {
      let answer = '';
      const finish = (error?: Error) => {
        input.setRawMode(false);
        input.pause();
        input.off('data', onData);
        this.output.write('\n');
        if (error) reject(error);
        else resolve(answer);
      };
      const onData = (chunk: Buffer) => {
        for (const ch of chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n') return finish();
          if (ch === '\u0003') return finish(new Error('cancelled'));
          if (ch === '\u007f' || ch === '\b') answer = answer.slice(0, -1);
          else answer += ch;
        }
      };
      input.setRawMode(true);
      input.resume();
      input.on('data', onData);
    });
  }
}

async function readAll(input: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of input) text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
  return text;
}
