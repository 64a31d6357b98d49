export { createRedis, type Redis, type RedisClient, type RedisConfig } from './create-redis';
