import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError, ErrorCode, HTTP_STATUS_OF } from '@cc/shared';

/** Maps every error to `{statusCode, error, message, details?}`; unexpected errors are logged and answer 500. */
@Catch()
export class DomainExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (exception instanceof DomainError) {
      const statusCode = HTTP_STATUS_OF[exception.code];
      res.status(statusCode).json({ statusCode, error: exception.code, message: exception.message, details: exception.details });
      return;
    }
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      const body = exception.getResponse();
      // a structured report (the health check's, say) goes out as it is: it says what failed
      if (typeof body === 'object' && body !== null && !('message' in body)) {
        res.status(statusCode).json(body);
        return;
      }
      const message = typeof body === 'string' ? body : ((body as { message?: unknown }).message ?? exception.message);
      const error = statusCode === 404 ? ErrorCode.NotFound : statusCode === 429 ? ErrorCode.RateLimited : statusCode < 500 ? ErrorCode.ValidationFailed : ErrorCode.Internal;
      res.status(statusCode).json({ statusCode, error, message });
      return;
    }
    this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    res.status(500).json({ statusCode: 500, error: ErrorCode.Internal, message: 'internal error' });
  }
}
