import { Logger } from 'graphile-worker';

export type JobLog = (level: 'error' | 'warn' | 'info' | 'debug', message: string, meta?: unknown) => void;

/** graphile-worker's log lines, passed on to ours (its debug chatter dropped). */
export function queueLogger(log: JobLog): Logger {
  return new Logger(() => (level, message, meta) => {
    if (level === 'error' || level === 'warning') log(level === 'error' ? 'error' : 'warn', message, meta);
  });
}
