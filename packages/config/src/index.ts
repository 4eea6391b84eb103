export { loadConfig, ConfigError, type Config } from './load.js';
export { parseDuration } from './duration.js';
