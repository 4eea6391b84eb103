export { parseDuration } from './duration.js';
export { type Config, ConfigError, loadConfig } from './load.js';
