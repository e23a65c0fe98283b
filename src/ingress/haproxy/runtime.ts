/**
 * The HAProxy runtime API (management.txt §9.3) over its UNIX socket, in interactive mode: one
 * connection carries a batch of commands; after `prompt` every answer ends with `\n> `, so each
 * command's answer is read separately and checked. Commands with a payload (`add map … <<`, `set
 * ssl cert … <<`) send it line by line and end it with an empty line, so payload lines must not be
 * empty (PEM and map lines never are).
 */
import { connect, type Socket } from 'node:net';
import { PorticoError } from '../../lib/errors.js';

/** A runtime API command failed, or its answer was not the expected one. */
export class RuntimeApiError extends PorticoError {
  constructor(message: string, options?: ErrorOptions) {
    super('E_HAPROXY_RUNTIME', message, options);
  }
}

const promptMark = '\n> ';

/** One interactive connection. */
export class RuntimeSession {
  readonly #socket: Socket;
  #buffer = '';
  #waiter: { resolve: (s: string) => void; reject: (e: Error) => void } | undefined;
  #closed: Error | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.#buffer += d;
      this.#deliver();
    });
    const fail = (e: Error) => {
      this.#closed ??= e;
      this.#waiter?.reject(e);
      this.#waiter = undefined;
    };
    socket.on('error', (e) =>
      fail(new RuntimeApiError(`runtime API socket: ${e.message}`, { cause: e })),
    );
    socket.on('close', () => fail(new RuntimeApiError('runtime API socket closed')));
  }

  /** Connects and switches to interactive mode. */
  static async open(path: string, timeoutMs = 10_000): Promise<RuntimeSession> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => resolve(s));
      s.once('error', (e) =>
        reject(new RuntimeApiError(`cannot connect to ${path}: ${e.message}`, { cause: e })),
      );
    });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error('timed out')));
    const session = new RuntimeSession(socket);
    await session.#send('prompt\n');
    return session;
  }

  #deliver(): void {
    if (!this.#waiter) return;
    const i = this.#buffer.indexOf(promptMark);
    if (i < 0) return;
    const answer = this.#buffer.slice(0, i);
    this.#buffer = this.#buffer.slice(i + promptMark.length);
    const w = this.#waiter;
    this.#waiter = undefined;
    w.resolve(answer);
  }

  #send(text: string): Promise<string> {
    if (this.#closed) return Promise.reject(this.#closed);
    if (this.#waiter) return Promise.reject(new RuntimeApiError('one command at a time'));
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
      this.#socket.write(text);
      this.#deliver();
    });
  }

  /**
   * Runs one command (with an optional payload) and returns its answer without the prompt,
   * trimmed; payload continuation prompts (`+ `) are dropped.
   */
  async run(command: string, payload?: string): Promise<string> {
    if (/[\n;]/.test(command))
      throw new RuntimeApiError(`not one command: ${JSON.stringify(command)}`);
    let text = command;
    if (payload !== undefined) {
      const lines = payload.split('\n').filter((l) => l !== '');
      text += ` <<\n${lines.join('\n')}\n`;
    }
    const answer = await this.#send(`${text}\n`);
    return answer.replace(/^(\+ )+/, '').trim();
  }

  /** Runs a command and throws unless the answer matches `ok` (empty answer when omitted). */
  async expect(command: string, ok?: RegExp, payload?: string): Promise<string> {
    const answer = await this.run(command, payload);
    if (ok ? !ok.test(answer) : answer !== '')
      throw new RuntimeApiError(`${command.split(' <<')[0] ?? command}: ${answer || 'no answer'}`);
    return answer;
  }

  close(): void {
    this.#socket.end('quit\n');
    this.#socket.destroy();
  }
}

/** The runtime API of one HAProxy worker, by socket path. */
export class RuntimeApi {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  /** Runs `fn` over one connection and closes it. */
  async session<T>(fn: (s: RuntimeSession) => Promise<T>): Promise<T> {
    const s = await RuntimeSession.open(this.path);
    try {
      return await fn(s);
    } finally {
      s.close();
    }
  }

  /** One command on its own connection. */
  run(command: string, payload?: string): Promise<string> {
    return this.session((s) => s.run(command, payload));
  }

  /** `show info` as key → value. */
  async info(): Promise<Map<string, string>> {
    const text = await this.run('show info');
    const out = new Map<string, string>();
    for (const l of text.split('\n')) {
      const i = l.indexOf(':');
      if (i > 0) out.set(l.slice(0, i).trim(), l.slice(i + 1).trim());
    }
    return out;
  }

  /** The worker's PID (`show info`). */
  async pid(): Promise<number> {
    const pid = Number((await this.info()).get('Pid'));
    if (!Number.isInteger(pid) || pid <= 0) throw new RuntimeApiError('show info has no Pid');
    return pid;
  }

  /**
   * `show servers state <backend>`: per server name its address, port and whether it takes
   * traffic (operational state running and not in maintenance).
   */
  async servers(
    backend: string,
  ): Promise<Map<string, { address: string; port: number; enabled: boolean }>> {
    const text = await this.run(`show servers state ${backend}`);
    const out = new Map<string, { address: string; port: number; enabled: boolean }>();
    for (const l of text.split('\n')) {
      if (l.startsWith('#') || l.trim() === '' || /^\d+$/.test(l.trim())) continue;
      // be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state … srv_port …
      const f = l.trim().split(/\s+/);
      const name = f[3];
      if (f[1] !== backend || name === undefined) continue;
      const opState = Number(f[5]);
      const adminState = Number(f[6]);
      out.set(name, {
        address: f[4] ?? '',
        port: Number(f[18] ?? 0),
        enabled: opState === 2 && (adminState & 0x01) === 0,
      });
    }
    return out;
  }
}
