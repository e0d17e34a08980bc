import { smsKeyword } from './sms-keywords';

describe('smsKeyword', () => {
  it('recognises the opt-out words in any case, alone in the message', () => {
    for (const text of ['STOP', 'stop', ' Stop ', 'Unsubscribe', 'STOP.', 'cancel!', 'quit']) expect(smsKeyword(text)?.kind).toBe('stop');
    expect(smsKeyword('unsubscribe')).toEqual({ kind: 'stop', word: 'UNSUBSCRIBE' });
  });

  it('recognises opting back in and asking for help', () => {
    expect(smsKeyword('START')?.kind).toBe('start');
    expect(smsKeyword('unstop')?.kind).toBe('start');
    expect(smsKeyword('help')?.kind).toBe('help');
    expect(smsKeyword('Info')?.kind).toBe('help');
  });

  it('leaves a keyword inside a sentence to the agent', () => {
    for (const text of ['please stop calling me', 'I need help with my order', 'start over', 'STOP IT', '']) expect(smsKeyword(text)).toBeNull();
  });
});
