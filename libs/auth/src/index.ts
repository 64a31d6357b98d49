export {
  createTokenVerifier,
  type TokenVerifier,
  type TokenVerifierConfig,
} from './token-verifier';
export { extractBearerToken } from './bearer-token';
export type { AuthUser } from './access-token-claims';
