import { classifyEmail, isAutoSubmitted } from './classify-headers';
import { headersFromBlock, headersFromPairs } from './email-fields';

describe('isAutoSubmitted', () => {
  it.each([
    ['Auto-Submitted: auto-replied', true],
    ['Auto-Submitted: auto-generated; owner-email="x@y.test"', true],
    ['Auto-Submitted: no', false],
    ['Auto-Submitted: No (sent by a person)', false],
    ['Precedence: bulk', true],
    ['Precedence: junk', true],
    ['Precedence: list', true],
    ['Precedence: auto_reply', true],
    ['Precedence: first-class', false],
    ['X-Autoreply: yes', true],
    ['X-Autorespond: Out of office', true],
    ['X-Auto-Response-Suppress: All', true],
    ['X-Auto-Response-Suppress: DR, OOF, AutoReply', true],
    ['X-Auto-Response-Suppress: DR, RN, NRN', false],
    ['List-Id: <users.lists.acme.test>\nList-Unsubscribe: <mailto:leave@lists.acme.test>', false],
    ['Subject: just a person', false],
  ])('%j -> %s', (block, expected) => {
    expect(isAutoSubmitted(headersFromBlock(block))).toBe(expected);
  });
});

describe('classifyEmail', () => {
  const base = { from: 'jane@customer.test', subject: 'Hello', text: 'Hi', parts: [] };

  it('needs a daemon or null sender before a bounce-like subject counts', () => {
    const headers = headersFromPairs([]);
    expect(classifyEmail({ ...base, headers, subject: 'Delivery Status Notification (Failure)' }).bounce).toBeNull();
    const fromDaemon = classifyEmail({
      ...base,
      headers,
      from: 'postmaster@mx.customer.test',
      subject: 'Delivery Status Notification (Failure)',
      text: "Your message wasn't delivered to lost@customer.test because the address couldn't be found.\n\nThe response was:\n550 5.1.1 The email account that you tried to reach does not exist.",
    });
    expect(fromDaemon.bounce).toEqual({
      originalMessageId: null,
      recipient: 'lost@customer.test',
      status: '5.1.1',
      diagnostic: '550 5.1.1 The email account that you tried to reach does not exist.',
    });
    expect(fromDaemon.autoSubmitted).toBe(true);
  });

  it('takes a null Return-Path as the bounce sender signal', () => {
    const headers = headersFromBlock('Return-Path: <>\nX-Failed-Recipients: Gone@Customer.test');
    const result = classifyEmail({ ...base, headers, subject: 'Mail delivery failed: returning message to sender' });
    expect(result.bounce?.recipient).toBe('gone@customer.test');
  });
});
