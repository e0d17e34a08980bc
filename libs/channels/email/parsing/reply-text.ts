import sanitizeHtml from 'sanitize-html';

/** A line where the quoted history begins: what mail clients write above the message being answered. */
const QUOTE_HEADERS = [
  /^On\s.+\swrote:?$/i, // Gmail, Apple Mail, Thunderbird (English)
  /^Le\s.+\s[ée]crit\s?:$/i, // French
  /^Am\s.+\sschrieb.*:$/i, // German
  /^El\s.+\sescribi[óo]:$/i, // Spanish
  /^Il\s.+\sscritto:$/i, // Italian
  /^Op\s.+\sschreef.*:$/i, // Dutch
  /^-{2,}\s*(Original Message|Forwarded message|Message d'origine|Ursprüngliche Nachricht)\s*-{2,}$/i,
  /^_{10,}$/, // Outlook's rule above "From: … Sent: …"
];
/** Outlook's header block: From: … then Sent:/Date: within a few lines. */
const OUTLOOK_FROM = /^\*?From:\*?\s/i;
const OUTLOOK_SENT = /^\*?(Sent|Date):\*?\s/i;
/** A signature's start: the "-- " delimiter, or a phone's footer. */
const SIGNATURE = [/^--\s?$/, /^(Sent from my|Get Outlook for)\s/i];

/**
 * The new part of a reply: the quoted history ("On … wrote:" and its equivalents, "-----Original
 * Message-----", Outlook's From/Sent block, "> " lines) and the signature stripped. Falls back to
 * the whole text when nothing would be left. Our own rules rather than a library: the common
 * one ships as ES modules only and wants a native regex engine, and these cover what clients write.
 */
export function visibleReply(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let end = lines.length;
  for (let i = 0; i < lines.length && end === lines.length; i++) {
    const line = lines[i].trim();
    // "On … wrote:" may be wrapped onto two lines
    const joined = i + 1 < lines.length ? `${line} ${lines[i + 1].trim()}` : line;
    if (QUOTE_HEADERS.some((r) => r.test(line)) || /^On\s/i.test(line) && /wrote:?$/i.test(joined) && !/wrote:?$/i.test(line)) end = i;
    else if (OUTLOOK_FROM.test(line) && lines.slice(i + 1, i + 5).some((l) => OUTLOOK_SENT.test(l.trim()))) end = i;
    else if (SIGNATURE.some((r) => r.test(lines[i]))) end = i;
  }
  // quoted lines at the end ("> …") are history too, wherever the client put no header above them
  const kept = lines.slice(0, end);
  while (kept.length && (kept[kept.length - 1].trim() === '' || kept[kept.length - 1].startsWith('>'))) kept.pop();
  const visible = kept.join('\n').trim();
  return visible || text.replace(/\r\n?/g, '\n').trim();
}

const ABSOLUTE_HREF = /^\s*(?:https?:\/\/|mailto:)/i;
const ABSOLUTE_SRC = /^\s*(?:https?:\/\/|cid:)/i;

const SANITIZE_OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [
    'p', 'br', 'div', 'span', 'b', 'strong', 'i', 'em', 'u', 's', 'strike', 'sub', 'sup', 'small',
    'blockquote', 'pre', 'code', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'a', 'img',
    'table', 'thead', 'tbody', 'tfoot', 'tr', 'td', 'th', 'caption', 'colgroup', 'col',
  ],
  allowedAttributes: {
    a: ['href', 'title', 'rel', 'target'],
    img: ['src', 'alt', 'title', 'width', 'height'],
    table: ['border', 'cellpadding', 'cellspacing', 'width', 'align'],
    td: ['colspan', 'rowspan', 'align', 'valign', 'width'],
    th: ['colspan', 'rowspan', 'align', 'valign', 'width', 'scope'],
    col: ['span', 'width'],
    colgroup: ['span', 'width'],
    ol: ['start', 'type'],
  },
  allowedSchemes: ['http', 'https', 'mailto'],
  // inline images of a message are cid: references to its attachments
  allowedSchemesByTag: { img: ['http', 'https', 'cid'] },
  allowedSchemesAppliedToAttributes: ['href', 'src'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'head'],
  transformTags: {
    // every link leaves the agent console in a new tab without handing it the opener or referrer;
    // relative urls would resolve against the console itself, so only absolute ones are kept
    a: (tagName, { href, ...attribs }) => ({
      tagName,
      attribs: {
        ...(href && ABSOLUTE_HREF.test(href) ? { href } : {}),
        ...attribs,
        rel: 'noopener noreferrer',
        target: '_blank',
      },
    }),
    img: (tagName, { src, ...attribs }) => ({
      tagName,
      attribs: src && ABSOLUTE_SRC.test(src) ? { src, ...attribs } : attribs,
    }),
  },
  // an image whose src was not allowed would render as a broken box
  exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src,
};

/**
 * A conservative allow-list clean of an email's HTML for display to agents: basic formatting, tables, links
 * (http, https, mailto; opened in a new tab with rel="noopener noreferrer") and images (http, https, cid).
 * No script, style, iframe, form, event-handler attributes or javascript: urls survive.
 */
export function sanitizeEmailHtml(html: string): string {
  return sanitizeHtml(html, SANITIZE_OPTIONS);
}
