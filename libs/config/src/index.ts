export {
  ConfigError,
  describeConfig,
  envVar,
  loadConfig,
  type ConfigOf,
  type ConfigSpec,
  type EnvVar,
} from './define-config';
export * as parse from './parsers';
export { sharedEnv } from './shared-env';
