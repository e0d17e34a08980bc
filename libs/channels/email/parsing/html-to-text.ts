import sanitizeHtml from 'sanitize-html';

const BLOCK_END = /<\/(?:p|div|li|tr|h[1-6]|blockquote|pre|table|ul|ol|section|article|header|footer)\s*>/gi;
const LINE_BREAK = /<br\s*\/?>|<hr\b[^>]*>/gi;

/**
 * Plain text from an HTML body, for mail that has no text part: tags stripped, script/style/head content
 * dropped, block ends and <br> kept as line breaks, entities decoded.
 */
export function htmlToText(html: string): string {
  const marked = html
    // source newlines are just whitespace in html; only tags break lines
    .replace(/\s+/g, ' ')
    .replace(LINE_BREAK, '$&\n')
    .replace(BLOCK_END, '$&\n');
  const stripped = sanitizeHtml(marked, {
    allowedTags: [],
    allowedAttributes: {},
    nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'head', 'title'],
  });
  // sanitize-html re-escapes exactly these three in text; &amp; last so "&amp;lt;" stays "&lt;"
  const decoded = stripped.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return decoded
    .replace(/\u00a0/g, ' ')
    .split('\n')
    .map((line) => line.replace(/[ \t]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
