export type { Config, TracingConfig } from './config.js';
export { loadConfig, ConfigError } from './load.js';
export { projectRoot } from './project-root.js';
