import { toE164 } from './phone-number';

describe('toE164', () => {
  it('writes one number the same way however it was typed', () => {
    for (const typed of ['+1 (415) 555-0100', '4155550100', '(415) 555-0100', '415.555.0100', '+14155550100', ' +1 415 555 0100 ']) {
      expect(toE164(typed, 'US')).toBe('+14155550100');
    }
  });

  it('reads a national number in the configured region', () => {
    expect(toE164('020 7946 0018', 'GB')).toBe('+442079460018');
    expect(toE164('020 7946 0018', 'US')).toBeNull();
  });

  it('keeps an international number whatever the region', () => {
    expect(toE164('+44 20 7946 0018', 'US')).toBe('+442079460018');
  });

  it('refuses what cannot be a phone number', () => {
    for (const bad of ['', 'hello', '12', '+1 415 555 0100 ext 9', 'sip:alice@example.com', '+1415555010099999999']) {
      expect(toE164(bad, 'US')).toBeNull();
    }
  });
});
