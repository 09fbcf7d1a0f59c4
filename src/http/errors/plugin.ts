import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../../domain/errors.js';
import { toAppError } from './to-app-error.js';
import { toOAuthError, toProblem } from './serialize.js';

/** The one place errors become HTTP responses. */
export const errorsPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((error, request, reply) => sendError(toAppError(error, isOAuth(request)), request, reply, error));
  app.setNotFoundHandler((request, reply) =>
    sendError(new AppError('not_found', `No route for ${request.method} ${request.url.split('?')[0]}`), request, reply),
  );
});

const isOAuth = (request: FastifyRequest) => request.routeOptions.config?.errorFormat === 'oauth';

function sendError(error: AppError, request: FastifyRequest, reply: FastifyReply, original?: unknown) {
  if (error.status >= 500) {
    request.log.error({ err: original ?? error }, 'request failed');
  } else {
    request.log.info({ errorCode: error.code, reason: error.message }, 'request rejected');
  }
  if (error.headers) reply.headers(error.headers);
  reply.code(error.status);
  if (isOAuth(request)) {
    // RFC 6749 §5.1: token responses, errors included, are never cached.
    return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(toOAuthError(error));
  }
  return reply.type('application/problem+json').send(toProblem(error, request.url.split('?')[0] ?? '/'));
}
