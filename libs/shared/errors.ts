/**
 * Error codes returned to clients, over HTTP (with the status below) and in socket acknowledgements.
 * Clients branch on these: never rename one.
 */
export enum ErrorCode {
  ValidationFailed = 'validation_failed',
  Unauthorized = 'unauthorized',
  Forbidden = 'forbidden',
  NotFound = 'not_found',
  Conflict = 'conflict',
  InvalidState = 'invalid_state',
  OfferExpired = 'offer_expired',
  UnknownQueue = 'unknown_queue',
  RateLimited = 'rate_limited',
  /** the customer opted out of this channel (SMS STOP) */
  OptedOut = 'opted_out',
  /** the channel is not configured on this deployment */
  ChannelUnavailable = 'channel_unavailable',
  Internal = 'internal_error',
}

export const HTTP_STATUS_OF: Record<ErrorCode, number> = {
  [ErrorCode.ValidationFailed]: 400,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.Conflict]: 409,
  [ErrorCode.InvalidState]: 409,
  [ErrorCode.OfferExpired]: 409,
  [ErrorCode.UnknownQueue]: 400,
  [ErrorCode.RateLimited]: 429,
  [ErrorCode.OptedOut]: 409,
  [ErrorCode.ChannelUnavailable]: 503,
  [ErrorCode.Internal]: 500,
};

/** Thrown by any service for a failure the caller caused; one filter maps it to HTTP and socket errors. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** The shape of every socket acknowledgement. */
export type Ack<T extends object = object> =
  | ({ ok: true } & T)
  | { ok: false; error: { code: ErrorCode; message: string; details?: unknown } };
