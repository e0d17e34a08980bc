import { Logger } from '@nestjs/common';
import { type Ack, DomainError, ErrorCode } from '@cc/shared';

const logger = new Logger('SocketErrors');

/**
 * Runs a socket command and turns its outcome into an acknowledgement: `{ok: true, ...result}` or
 * `{ok: false, error: {code, message}}`. A bug answers internal_error and is logged; it never drops the socket.
 */
export async function acknowledge<T extends object>(work: () => Promise<T>): Promise<Ack<T>> {
  try {
    return { ok: true, ...(await work()) };
  } catch (e) {
    if (e instanceof DomainError) return { ok: false, error: { code: e.code, message: e.message, details: e.details } };
    logger.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    return { ok: false, error: { code: ErrorCode.Internal, message: 'internal error' } };
  }
}
