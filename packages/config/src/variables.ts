import { EnvSchema } from './schema.js';

/** Every environment variable the configuration reads (for docs and deployment checks). */
export function configVariables(): string[] {
  return Object.keys(EnvSchema.shape);
}
