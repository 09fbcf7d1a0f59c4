import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { AppError, errorCatalog } from '../../domain/errors.js';
import { toProblem } from './serialize.js';

/**
 * Node's `clientError`: a request that never became one (too slow, headers too
 * large, not HTTP). No route is known yet, so the answer is a problem document
 * written straight to the socket, which then closes; Fastify's default writes
 * a JSON body of its own shape instead.
 */
export function answerClientError(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has no one left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const appError = toClientAppError(error.code);
  // Debug only: a slowloris attack would otherwise turn into a flood of log lines.
  this.log.debug({ errorCode: appError.code, reason: error.code }, 'connection rejected');
  if (socket.writable) {
    const body = JSON.stringify(toProblem(appError));
    socket.write(
      `HTTP/1.1 ${appError.status} ${errorCatalog[appError.code].title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

function toClientAppError(code: string | undefined): AppError {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return new AppError('request_timeout', 'The request did not arrive in time.');
  if (code === 'HPE_HEADER_OVERFLOW') return new AppError('headers_too_large');
  return new AppError('bad_request', 'The request is not valid HTTP.');
}
