import { Logger } from '@nestjs/common';
import { type Ack, DomainError, ErrorCode } from '@cc/shared';

const logger = new Logger('SocketErrors');

/** An error for the log: its stack where it has one. */
export const describeError = (e: unknown): string => (e instanceof Error ? (e.stack ?? e.message) : String(e));

/**
 * Runs the setup of a new connection; if it fails, the client is told (`server:error` with a code) and
 * disconnected, to reconnect later, and the failure is logged. Nothing escapes to crash the process.
 */
export async function closeOnFailure(socket: { emit(event: string, payload: unknown): unknown; disconnect(close?: boolean): unknown }, setup: () => Promise<void>): Promise<void> {
  try {
    await setup();
  } catch (e) {
    logger.error(`socket setup failed: ${e instanceof Error ? e.message : String(e)}`);
    socket.emit('server:error', { code: ErrorCode.Internal, message: 'the server could not set up this connection; try again' });
    socket.disconnect(true);
  }
}

/**
 * Runs a socket command and turns its outcome into an acknowledgement: `{ok: true, ...result}` or
 * `{ok: false, error: {code, message}}`. A bug answers internal_error and is logged; it never drops the socket.
 */
export async function acknowledge<T extends object>(work: () => Promise<T>): Promise<Ack<T>> {
  try {
    return { ok: true, ...(await work()) };
  } catch (e) {
    if (e instanceof DomainError) return { ok: false, error: { code: e.code, message: e.message, details: e.details } };
    logger.error(describeError(e));
    return { ok: false, error: { code: ErrorCode.Internal, message: 'internal error' } };
  }
}
