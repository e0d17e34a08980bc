import { chosenOption, menuAt, parseVoiceMenu } from './voice-menu';

const menu = parseVoiceMenu({
  greeting: 'Thanks for calling Acme.',
  prompt: 'Press 1 for support, 2 for sales, 3 for billing options, 9 to leave a message.',
  speech: { support: '1', sales: '2' },
  options: {
    '1': { queue: 'Support' },
    '2': { queue: 'Sales' },
    '3': { menu: { prompt: 'Press 1 for refunds.', options: { '1': { queue: 'Billing' } } } },
    '9': { voicemail: { queue: 'Support' } },
  },
  default: { queue: 'Support' },
});

describe('voice menus', () => {
  it('chooses by key, or by a spoken word mapped to a key', () => {
    expect(chosenOption(menu, '2', undefined)).toEqual({ key: '2', option: { queue: 'Sales' } });
    expect(chosenOption(menu, undefined, 'I need Support please')).toEqual({ key: '1', option: { queue: 'Support' } });
    expect(chosenOption(menu, '7', undefined)).toBeNull();
    expect(chosenOption(menu, undefined, 'hello?')).toBeNull();
  });

  it('walks to sub-menus by their path of keys', () => {
    expect(menuAt(menu, '')).toBe(menu);
    expect(menuAt(menu, '3')?.prompt).toBe('Press 1 for refunds.');
    expect(menuAt(menu, '1')).toBeNull();
    expect(menuAt(menu, '35')).toBeNull();
  });

  it('refuses a malformed menu, naming the field', () => {
    expect(() => parseVoiceMenu({ prompt: 'x', options: { '12': { queue: 'Support' } } })).toThrow(/options/);
    expect(() => parseVoiceMenu({ prompt: 'x', options: { '1': { queue: '' } } })).toThrow(/options\.1/);
    expect(() => parseVoiceMenu({ options: {} })).toThrow(/prompt/);
    expect(() => parseVoiceMenu({ prompt: 'x', options: {}, surprise: true })).toThrow(/menu/);
  });
});
