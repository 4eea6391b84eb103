import { type Logger, pino } from 'pino';

export type { Logger };

/** JSON logs; `eventId` is the correlation id children carry (logger.child({ eventId })). */
export function createLogger(opts: { name: string; level?: string; destination?: NodeJS.WritableStream }): Logger {
  return pino(
    { name: opts.name, level: opts.level ?? 'info', base: { service: opts.name } },
    opts.destination ?? process.stdout,
  );
}

/** For tests and tools that must stay quiet. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
