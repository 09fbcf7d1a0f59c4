import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * One access-log line per request, written when the answer has gone out:
 * the request (id, method, path, client), the status and the time taken, as
 * a proxy's access log has them. Fastify's default spreads this over two
 * lines, one on arrival and one on answer, and on a cheap request each line
 * costs about as much as a security header set or the metrics (see
 * bench/README.md's performance report). The arrival line stays at debug, for
 * following a request that never completes.
 */
export class AccessLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    if (!this.isLogDisabled(request)) request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
