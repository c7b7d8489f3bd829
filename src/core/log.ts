/**
 * Structured logs (pino, JSON lines on stderr by default). Secret-bearing fields are redacted at
 * the logger, so a careless `log.info({ req })` cannot leak a token or a key.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'keyPem',
  '*.keyPem',
  'privateKey',
  '*.privateKey',
  'data',
  '*.data',
];

export interface LogOptions {
  level?: string;
  /** Where lines go; defaults to stderr (fd 2) so stdout stays for data. */
  destination?: NodeJS.WritableStream | number;
}

export function createLogger(name: string, opts: LogOptions = {}): Logger {
  const dest = opts.destination ?? 2;
  return pino(
    { name, level: opts.level ?? process.env.ZONECTL_LOG_LEVEL ?? 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { pid: process.pid } },
    typeof dest === 'number' ? pino.destination({ fd: dest, sync: false }) : dest,
  );
}

/** A logger that drops everything (tests, embedded use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
