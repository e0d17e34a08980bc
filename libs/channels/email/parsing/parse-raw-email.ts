import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { classifyEmail, isDeliveryReportPart } from './classify-headers';
import { EmailPayloadError } from './email-payload-error';
import {
  assertLimits,
  firstHeader,
  headersFromBlock,
  normaliseAddresses,
  parseMailbox,
  parseMessageId,
  parseMessageIds,
  toIsoDate,
  toParsedAttachment,
  isEmailAddress,
} from './email-fields';
import { htmlToText } from './html-to-text';
import type { EmailAddress, ParseLimits, ParsedEmail } from './parsed-email';

/** Options for {@link parseRawEmail}: the limits, plus the SMTP envelope when the message came over SMTP. */
export interface RawEmailOptions extends ParseLimits {
  /** RCPT TO addresses; when given they are the recipients instead of To + Cc. */
  envelopeTo?: string[];
  /** MAIL FROM; "" is the null sender of a bounce. Used as the sender when the From header is unusable. */
  envelopeFrom?: string;
}

/**
 * Normalises a raw RFC 5322 / MIME message. Throws {@link EmailPayloadError} when it has no usable sender or
 * recipient.
 */
export async function parseRawEmail(raw: Buffer | string, opts: RawEmailOptions): Promise<ParsedEmail> {
  assertLimits(opts);
  if ((typeof raw !== 'string' && !Buffer.isBuffer(raw)) || raw.length === 0) {
    throw new EmailPayloadError('the raw message is empty or not a string/Buffer');
  }
  let mail: ParsedMail;
  try {
    mail = await simpleParser(raw, {
      // html stays exactly as received: no cid: links swapped for data: urls, no text parts merged in
      keepCidLinks: true,
      skipTextToHtml: true,
      // delivery-status parts come back as attachments so bounces can be read (they are dropped afterwards)
      keepDeliveryStatus: true,
    });
  } catch (error) {
    throw new EmailPayloadError(`the raw message could not be parsed: ${(error as Error).message}`);
  }

  const headers = headersFromBlock(mail.headerLines.map((h) => h.line).join('\r\n'));
  const from = senderOf(mail, opts.envelopeFrom);
  const to = recipientsOf(mail, opts.envelopeTo);
  const subject = mail.subject ?? '';
  const html = typeof mail.html === 'string' ? mail.html : null;
  const text = mail.text?.trim() ? mail.text : html ? htmlToText(html) : '';

  const { autoSubmitted, bounce } = classifyEmail({
    headers,
    from: from.address,
    subject,
    text,
    envelopeFrom: opts.envelopeFrom,
    parts: mail.attachments,
  });
  // the report parts of a bounce are machinery, not files the customer sent
  const files = bounce ? mail.attachments.filter((a) => !isDeliveryReportPart(a.contentType)) : mail.attachments;

  return {
    from,
    to,
    subject,
    messageId: parseMessageId(firstHeader(headers, 'message-id')),
    inReplyTo: parseMessageId(firstHeader(headers, 'in-reply-to')),
    references: parseMessageIds((headers.get('references') ?? []).join(' ')),
    text,
    html,
    autoSubmitted,
    bounce,
    attachments: files.map((a, i) =>
      toParsedAttachment({ filename: a.filename, contentType: a.contentType, content: a.content }, i, opts),
    ),
    date: toIsoDate(firstHeader(headers, 'date')),
  };
}

function senderOf(mail: ParsedMail, envelopeFrom: string | undefined): EmailAddress {
  const header = mail.from?.value.flatMap((a) => (a.group ? a.group : [a])).find((a) => a.address);
  const address = header?.address?.trim().toLowerCase();
  if (header && address && isEmailAddress(address)) return { address, name: header.name.trim() || null };
  const envelope = parseMailbox(envelopeFrom);
  if (envelope) return envelope;
  const seen = mail.from?.text;
  throw new EmailPayloadError(
    seen
      ? `the From header has no valid address ("${seen}") and there is no envelope sender`
      : 'the message has no From header and no envelope sender',
    'from',
  );
}

function recipientsOf(mail: ParsedMail, envelopeTo: string[] | undefined): string[] {
  const envelope = normaliseAddresses(envelopeTo ?? []);
  if (envelope.length > 0) return envelope;
  const fromHeaders = normaliseAddresses([...addressesOf(mail.to), ...addressesOf(mail.cc)]);
  if (fromHeaders.length === 0) {
    throw new EmailPayloadError('the message has no recipient: no envelope RCPT TO and no To or Cc address', 'to');
  }
  return fromHeaders;
}

function addressesOf(field: AddressObject | AddressObject[] | undefined): string[] {
  const objects = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return objects
    .flatMap((o) => o.value)
    .flatMap((a) => (a.group ? a.group : [a]))
    .map((a) => a.address ?? '');
}
