export { createRedis, type Redis, type RedisClient, type RedisConfig } from './create-redis';
export {
  createLocalRateLimit,
  createRateLimit,
  RateLimitedError,
  type RateLimit,
  type RateLimitOptions,
} from './rate-limit';
export { deleteKeysWithPrefix, scanKeysWithPrefix } from './keys-with-prefix';
