/**
 * Thrown when an inbound payload is not the email it claims to be: not an object, no or an invalid sender,
 * no recipient, a malformed JSON field. The message names the field so the webhook log says what was wrong.
 */
export class EmailPayloadError extends Error {
  /** The payload field at fault, when one is. */
  readonly field: string | null;

  constructor(message: string, field: string | null = null) {
    super(message);
    this.name = 'EmailPayloadError';
    this.field = field;
  }
}
