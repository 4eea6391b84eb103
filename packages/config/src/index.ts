export { parseDuration } from './duration.js';
export { type Config, ConfigError, loadConfig } from './load.js';
export { configVariables } from './variables.js';
