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

/** `--log-level` values of both servers (pino's names; oclif lists them on a bad value, exit 2). */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
/** `--log-format`: JSON lines, or one human-readable line per event (default on a terminal). */
export const LOG_FORMATS = ['json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LogOptions {
  level?: string;
  /** Default: text when the destination is a terminal, JSON otherwise. */
  format?: LogFormat;
  /** Where lines go; defaults to stderr (fd 2) so stdout stays for data. */
  destination?: NodeJS.WritableStream | number;
}

export function createLogger(name: string, opts: LogOptions = {}): Logger {
  const dest = opts.destination ?? 2;
  const tty = dest === 2 ? process.stderr.isTTY === true : dest === 1 ? process.stdout.isTTY === true : false;
  if ((opts.format ?? (tty ? 'text' : 'json')) === 'text') {
    const out = typeof dest === 'number' ? (dest === 1 ? process.stdout : process.stderr) : dest;
    return pino(
      { name, level: opts.level ?? process.env.ZONECTL_LOG_LEVEL ?? 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: undefined },
      { write: (line: string) => void out.write(textLine(line)) },
    );
  }
  return pino(
    { name, level: opts.level ?? process.env.ZONECTL_LOG_LEVEL ?? 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { pid: process.pid } },
    typeof dest === 'number' ? pino.destination({ fd: dest, sync: false }) : dest,
  );
}

/** A logger that drops everything (tests, embedded use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/**
 * One pino JSON line as `12:00:01.234 WARN  egress: message key=value ...`: what a person reads
 * on a terminal. A stack trace is shown only for unexpected errors (level error and above).
 */
export function textLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const { level, time, name, msg, pid: _pid, hostname: _h, ...rest } = o;
  const lvl = typeof level === 'number' ? level : 30;
  const t = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : '';
  const fields = Object.entries(rest)
    .filter(([k]) => !(k === 'err' && lvl < 50))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? (/[\s"=]/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`);
  const err = rest.err as { stack?: string; message?: string } | undefined;
  const tail = err && lvl < 50 && err.message ? [`err=${JSON.stringify(err.message)}`] : [];
  return `${t} ${(LEVEL_NAMES[lvl] ?? String(lvl)).padEnd(5)} ${String(name ?? '')}: ${String(msg ?? '')}${[...fields, ...tail].map((f) => ` ${f}`).join('')}\n`;
}
