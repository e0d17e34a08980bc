import { sanitizeEmailHtml, visibleReply } from './reply-text';

describe('visibleReply', () => {
  it('strips an "On … wrote:" quoted block', () => {
    const text = [
      'Thanks, the replacement works.',
      '',
      'On Mon, 3 Mar 2025 at 10:00, Acme Support <support@acme.test> wrote:',
      '> Hello Jane,',
      '> please try the replacement part.',
      '',
    ].join('\r\n');
    expect(visibleReply(text)).toBe('Thanks, the replacement works.');
  });

  it('strips "> " quoted lines and the signature', () => {
    const text = 'Tuesday works for me.\n\n> Can we call on Tuesday?\n> Bob\n\n-- \nJane Doe\nHead of Ops, Customer Inc.\n';
    expect(visibleReply(text)).toBe('Tuesday works for me.');
  });

  it('strips an Outlook "Original Message" and From/Sent block, and a wrapped "On … wrote:"', () => {
    expect(visibleReply('Yes please.\n\n-----Original Message-----\nFrom: Acme\nSent: Monday\n\nHello')).toBe('Yes please.');
    expect(visibleReply('Yes please.\r\n\r\nFrom: Acme Support <support@acme.test>\r\nSent: Monday, 3 March 2025 10:00\r\nTo: Jane\r\n\r\nHello')).toBe('Yes please.');
    expect(visibleReply('Merci !\n\nLe lun. 3 mars 2025 à 10:00, Acme <support@acme.test> a écrit :\n> Bonjour')).toBe('Merci !');
    expect(visibleReply('Sounds good.\n\nOn Mon, 3 Mar 2025 at 10:00, Acme Support\n<support@acme.test> wrote:\n> Hello')).toBe('Sounds good.');
    expect(visibleReply('Done.\n\nSent from my iPhone\n')).toBe('Done.');
  });

  it('keeps a message that only mentions quoting, and quotes in the middle of new text', () => {
    expect(visibleReply('On Monday I wrote to you about my order.\nStill waiting.')).toBe('On Monday I wrote to you about my order.\nStill waiting.');
    expect(visibleReply('You said:\n> the part ships Monday\nIt did not.')).toBe('You said:\n> the part ships Monday\nIt did not.');
  });

  it('keeps the whole text when stripping would leave nothing', () => {
    expect(visibleReply('> only a quote\n> nothing new\n')).toBe('> only a quote\n> nothing new');
  });
});

describe('sanitizeEmailHtml', () => {
  it('keeps basic formatting and https links, made safe to open', () => {
    const out = sanitizeEmailHtml('<p>Hi <b>Jane</b>, see <a href="https://acme.test/t/42" target="_self">your ticket</a>.</p>');
    expect(out).toBe(
      '<p>Hi <b>Jane</b>, see <a href="https://acme.test/t/42" target="_blank" rel="noopener noreferrer">your ticket</a>.</p>',
    );
  });

  it('drops script, style, iframe, form, on* handlers and javascript: urls', () => {
    const out = sanitizeEmailHtml(
      [
        '<style>body{display:none}</style>',
        '<script>steal()</script>',
        '<p onclick="steal()" style="color:red">Click</p>',
        '<a href="javascript:steal()">link</a>',
        '<a href="JaVaScRiPt&colon;steal()">sneaky</a>',
        '<iframe src="https://evil.test"></iframe>',
        '<form action="https://evil.test"><input name="pw"></form>',
        '<img src="x" onerror="steal()">',
      ].join(''),
    );
    expect(out).not.toMatch(/script|steal|style|onclick|onerror|iframe|form|input|evil/i);
    expect(out).toContain('<p>Click</p>');
    expect(out).toContain('>link</a>');
  });

  it('allows images only from http, https and cid', () => {
    expect(sanitizeEmailHtml('<img src="cid:logo@acme.test" alt="logo">')).toBe('<img src="cid:logo@acme.test" alt="logo" />');
    expect(sanitizeEmailHtml('<img src="https://acme.test/a.png">')).toBe('<img src="https://acme.test/a.png" />');
    expect(sanitizeEmailHtml('<img src="data:image/png;base64,AAAA">')).toBe('');
    // relative urls would hit the agent console's own origin
    expect(sanitizeEmailHtml('<img src="/api/logout"><a href="/admin">x</a>')).toBe(
      '<a rel="noopener noreferrer" target="_blank">x</a>',
    );
    expect(sanitizeEmailHtml('<a href="mailto:jane@customer.test">mail</a>')).toContain('href="mailto:jane@customer.test"');
    expect(sanitizeEmailHtml('<a href="ftp://files.test/x">f</a>')).not.toContain('ftp:');
  });

  it('keeps tables', () => {
    expect(sanitizeEmailHtml('<table border="1"><tr><td colspan="2">x</td></tr></table>')).toBe(
      '<table border="1"><tr><td colspan="2">x</td></tr></table>',
    );
  });
});
