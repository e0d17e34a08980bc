import { randomUUID } from 'node:crypto';
import type { InboundMessageJob } from '@cc/shared';
import { jobOptions } from './job-options';

// a whole config is passed in the app; these are the fields job options read
const config = { offerTimeoutMs: 30_000, agentDisconnectGraceMs: 20_000, outbound: { attempts: 6, backoffMs: 2000, concurrency: 8 } };

const inbound = (over: Partial<InboundMessageJob> = {}): InboundMessageJob => ({
  channel: 'chat',
  address: '6f1c2b9e-8f5d-4d7a-9d61-1c4d0e5b7a21',
  externalId: 'msg-1',
  text: 'Hello',
  queueId: '0b7d7f0e-2f7a-4c59-8d3c-6b3f1a9e4c11',
  receivedAt: 1_800_000_000_000,
  ...over,
});
const inboundId = (job: InboundMessageJob) => jobOptions('inbound.message', job, config).jobId;

describe('jobOptions', () => {
  describe('inbound messages', () => {
    it('gives a retried message the same job id, whatever else differs between the attempts', () => {
      const first = inboundId(inbound());
      expect(first).toEqual(expect.any(String));
      expect(inboundId(inbound())).toBe(first);
      // the retry may carry another receive time, profile or (after a rename) queue: still the same message
      expect(inboundId(inbound({ receivedAt: 1_800_000_009_999, text: 'Hello (resent)', profile: { name: 'Jane' }, queueId: randomUUID() }))).toBe(first);
    });

    it('gives a different job id when the external id, the address or the channel differs', () => {
      const ids = [
        inboundId(inbound()),
        inboundId(inbound({ externalId: 'msg-2' })),
        inboundId(inbound({ address: '0d3e9c1a-7b2f-4e5d-8a6c-9f1b2c3d4e5f' })),
        inboundId(inbound({ channel: 'sms' })),
        inboundId(inbound({ channel: 'sms', address: '+15551230000', externalId: 'SM123' })),
        inboundId(inbound({ channel: 'email', address: '+15551230000', externalId: 'SM123' })),
      ];
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('never puts a colon in a job id (BullMQ refuses custom ids with one), even when the inputs have colons', () => {
      const id = inboundId(inbound({ channel: 'email', address: 'mailto:jane@example.com', externalId: '<a:b@mail.example.com>' }));
      expect(id).not.toContain(':');
      for (let i = 0; i < 50; i++) expect(inboundId(inbound({ externalId: `m:${randomUUID()}`, address: `a:${i}` }))).not.toContain(':');
    });

    it('retries a failed inbound job and keeps a completed one around, so a late retry is recognised', () => {
      const opts = jobOptions('inbound.message', inbound(), config);
      expect(opts.attempts).toBeGreaterThan(1);
      expect(opts.backoff).toBeDefined();
      expect(opts.removeOnComplete).not.toBe(true);
      expect(opts.delay ?? 0).toBe(0);
    });
  });

  describe('timers', () => {
    it('delays the agent-disconnected check by exactly the configured grace period', () => {
      expect(jobOptions('timers.agent-disconnected', { agentId: randomUUID() }, config).delay).toBe(20_000);
      expect(jobOptions('timers.agent-disconnected', { agentId: randomUUID() }, { ...config, agentDisconnectGraceMs: 1_250 }).delay).toBe(1_250);
      expect(jobOptions('timers.agent-disconnected', { agentId: randomUUID() }, { ...config, agentDisconnectGraceMs: 0 }).delay).toBe(0);
    });

    it('retries the agent-disconnected check and does not keep it once done', () => {
      expect(jobOptions('timers.agent-disconnected', { agentId: randomUUID() }, config)).toMatchObject({ attempts: expect.any(Number), removeOnComplete: true });
    });
  });

  it('does not pile up finished sweeps', () => {
    expect(jobOptions('timers.sweep', {}, config)).toMatchObject({ removeOnComplete: true });
  });
});
