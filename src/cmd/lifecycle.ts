/**
 * What every long-running `portico` command shares: logger flags, readiness notification to a
 * supervising `portico up`, and an orderly stop on SIGINT, SIGTERM or the loss of the supervisor.
 *
 * A component started by `portico up` has an IPC channel to it. It calls `notifyReady()` once it
 * serves (the supervisor starts the next component then), and stops when the channel closes, so
 * that children never outlive a supervisor that was killed.
 */
import { createLogger, type Logger } from '../lib/log/logger.js';

/** The message a supervised component sends when it is ready. */
export const readyMessage = { type: 'portico:ready' } as const;

/** Tells a supervising `portico up` that this component is ready (no-op when unsupervised). */
export function notifyReady(): void {
  if (process.send && process.connected) process.send(readyMessage);
}

/**
 * Calls `stop` once on SIGINT, SIGTERM or when the supervisor's IPC channel closes, and resolves
 * when it finished. A second signal while stopping exits at once.
 */
export function untilStopped(stop: (reason: string) => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    let stopping = false;
    const handler = (reason: string): void => {
      if (stopping) {
        process.exitCode = 130;
        // A second Ctrl-C: the user wants out now.
        process.kill(process.pid, 'SIGKILL');
        return;
      }
      stopping = true;
      stop(reason)
        .then(() => {
          // The IPC channel to a supervisor would keep the process alive.
          if (process.connected) process.disconnect();
          resolve();
        })
        .catch(reject);
    };
    process.on('SIGINT', () => handler('SIGINT'));
    process.on('SIGTERM', () => handler('SIGTERM'));
    if (process.connected) process.on('disconnect', () => handler('supervisor gone'));
  });
}

/** Options shared by every long-running command. */
export const logOptions = {
  'log-format': { type: 'string', default: 'json' },
  v: { type: 'string', short: 'v', default: '0' },
} as const;

/** The logger the flags ask for. */
export function loggerFromFlags(
  values: { 'log-format'?: string; v?: string },
  component: string,
): Logger {
  const v = Number((values.v ?? '0').replace(/^=/, ''));
  return createLogger({
    format: values['log-format'] === 'text' ? 'text' : 'json',
    verbosity: Number.isFinite(v) ? v : 0,
  }).child({ component });
}
