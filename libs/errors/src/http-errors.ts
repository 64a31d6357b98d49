import { AppError } from './app-error';

/** The 404 of every HTTP port for a path or method it does not have. */
export const noSuchEndpoint = () => new AppError('NOT_FOUND', 'No such endpoint');

/** The 401 of an endpoint that takes a bearer token (OPS_TOKEN's /metrics, say) without one. */
export const bearerTokenRequired = () =>
  new AppError('UNAUTHENTICATED', 'A valid bearer token is required');
