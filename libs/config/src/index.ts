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
export {
  assertJwtConfigured,
  bookingPolicyEnv,
  jwtEnv,
  opsEnv,
  serviceEnv,
  sharedEnv,
} from './shared-env';
export { DEV_JWT_SECRET, developmentSecretRefusal, isLoopbackHost } from './dev-defaults';
