import { createHmac, timingSafeEqual } from 'node:crypto';

/** The three signature fields Mailgun posts with a route forward (and nests under `signature` in event webhooks). */
export interface MailgunSignature {
  /** Seconds since the epoch, as Mailgun sends it (a string in form posts). */
  timestamp?: string | number | null;
  token?: string | null;
  /** Hex HMAC-SHA256 of timestamp + token. */
  signature?: string | null;
}

/**
 * True when `signature` is the HMAC-SHA256 (hex) of timestamp + token under the webhook signing key and the
 * timestamp is within `maxAgeSeconds` of `nowMs` either way. Any missing part is a false, never a throw.
 */
export function verifyMailgunSignature(
  { timestamp, token, signature }: MailgunSignature,
  signingKey: string,
  nowMs: number = Date.now(),
  maxAgeSeconds = 300,
): boolean {
  if (!signingKey || !token || !signature || timestamp === undefined || timestamp === null) return false;
  const stamp = String(timestamp).trim();
  if (!/^\d{1,12}$/.test(stamp)) return false;
  // a stale (or far-future) timestamp means a replayed or forged post
  if (Math.abs(nowMs / 1000 - Number(stamp)) > maxAgeSeconds) return false;

  const expected = Buffer.from(createHmac('sha256', signingKey).update(stamp + token).digest('hex'), 'utf8');
  const given = Buffer.from(signature.trim().toLowerCase(), 'utf8');
  // timingSafeEqual throws on a length mismatch, and the length is no secret
  return given.length === expected.length && timingSafeEqual(given, expected);
}
