import { createHmac } from 'node:crypto';
import { verifyMailgunSignature } from './verify-mailgun';

const key = 'key-3ax6xnjp29jd6fds4gc373sgvjxteol0';
const timestamp = '1741083753';
const token = 'f1b3c7d5e9a2b4c6d8e0f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0';
const nowMs = Number(timestamp) * 1000 + 20_000;

function sign(ts: string, tok: string, signingKey = key): string {
  return createHmac('sha256', signingKey).update(ts + tok).digest('hex');
}

describe('verifyMailgunSignature', () => {
  it('accepts a fresh, correctly signed post', () => {
    expect(verifyMailgunSignature({ timestamp, token, signature: sign(timestamp, token) }, key, nowMs)).toBe(true);
    // event webhooks send the timestamp as a number
    expect(verifyMailgunSignature({ timestamp: Number(timestamp), token, signature: sign(timestamp, token) }, key, nowMs)).toBe(true);
  });

  it('rejects a tampered token, signature or key', () => {
    const signature = sign(timestamp, token);
    expect(verifyMailgunSignature({ timestamp, token: token.replace('f1', 'f2'), signature }, key, nowMs)).toBe(false);
    expect(verifyMailgunSignature({ timestamp, token, signature: signature.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) }, key, nowMs)).toBe(false);
    expect(verifyMailgunSignature({ timestamp, token, signature }, 'another-key', nowMs)).toBe(false);
    expect(verifyMailgunSignature({ timestamp, token, signature: signature.slice(0, 40) }, key, nowMs)).toBe(false);
  });

  it('rejects a signature for a different timestamp', () => {
    const later = String(Number(timestamp) + 10);
    expect(verifyMailgunSignature({ timestamp: later, token, signature: sign(timestamp, token) }, key, nowMs)).toBe(false);
  });

  it('rejects stale and future timestamps outside maxAge', () => {
    const signature = sign(timestamp, token);
    const post = { timestamp, token, signature };
    expect(verifyMailgunSignature(post, key, Number(timestamp) * 1000 + 301_000)).toBe(false);
    expect(verifyMailgunSignature(post, key, Number(timestamp) * 1000 - 301_000)).toBe(false);
    expect(verifyMailgunSignature(post, key, Number(timestamp) * 1000 + 301_000, 600)).toBe(true);
  });

  it('is false, not a throw, when a part is missing', () => {
    const signature = sign(timestamp, token);
    expect(verifyMailgunSignature({ token, signature }, key, nowMs)).toBe(false);
    expect(verifyMailgunSignature({ timestamp, signature }, key, nowMs)).toBe(false);
    expect(verifyMailgunSignature({ timestamp, token }, key, nowMs)).toBe(false);
    expect(verifyMailgunSignature({ timestamp, token, signature }, '', nowMs)).toBe(false);
    expect(verifyMailgunSignature({ timestamp: 'soon', token, signature }, key, nowMs)).toBe(false);
  });
});
