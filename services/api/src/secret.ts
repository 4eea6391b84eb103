import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '@telemetry/config';
import type { Logger } from '@telemetry/observability';

export const SECRET_FILE = 'jwt-secret';

/**
 * The JWT signing secret: JWT_SECRET when set (required in production, see @telemetry/config).
 * Otherwise (development, test) one is generated once and kept in DATA_DIR/jwt-secret (mode
 * 0600), so restarts keep sessions valid. An in-memory data dir (`memory://`) gets a fresh secret
 * per process.
 */
export function resolveJwtSecret(config: Config, logger: Logger): string {
  if (config.auth.jwtSecret) return config.auth.jwtSecret;
  if (config.env === 'production') throw new Error('JWT_SECRET is required in production');
  const dir = config.dataDir;
  if (!dir || dir.startsWith('memory:')) return randomBytes(48).toString('base64url');
  const file = join(resolve(dir), SECRET_FILE);
  if (existsSync(file)) {
    const secret = readFileSync(file, 'utf8').trim();
    if (secret.length >= 32) return secret;
  }
  mkdirSync(resolve(dir), { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'w' });
  chmodSync(file, 0o600);
  logger.warn(
    { file },
    'JWT_SECRET not set: generated one and saved it for the next start (set JWT_SECRET in production)',
  );
  return secret;
}
