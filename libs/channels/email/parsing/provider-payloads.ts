import { classifyEmail, isDeliveryReportPart } from './classify-headers';
import { EmailPayloadError } from './email-payload-error';
import {
  assertLimits,
  firstHeader,
  headersFromBlock,
  headersFromPairs,
  normaliseAddresses,
  parseAddressList,
  parseMailbox,
  parseMessageId,
  parseMessageIds,
  toIsoDate,
  toParsedAttachment,
  type AttachmentInput,
  type HeaderBag,
} from './email-fields';
import { htmlToText } from './html-to-text';
import { parseRawEmail } from './parse-raw-email';
import type { EmailAddress, ParseLimits, ParsedEmail } from './parsed-email';

export { EmailPayloadError } from './email-payload-error';

/** A file from a multipart webhook, in the shape multer's memory storage gives. */
export interface UploadedFile {
  fieldname: string;
  originalname: string;
  mimetype: string;
  size: number;
  buffer: Buffer;
}

/**
 * Postmark inbound webhook JSON. `MessageID` is Postmark's own id; the RFC Message-ID, In-Reply-To and
 * References only come in `Headers`. Throws {@link EmailPayloadError} when it is not such a payload.
 */
export function fromPostmark(body: unknown, limits: ParseLimits): ParsedEmail {
  assertLimits(limits);
  const p = asObject(body, 'the Postmark payload');
  const headers = headersFromPairs(postmarkHeaders(p.Headers));

  const fromFull = isObject(p.FromFull) ? p.FromFull : {};
  const from = requireSender('Postmark', [
    { field: 'FromFull.Email', value: text(fromFull, 'Email'), name: text(fromFull, 'Name') },
    { field: 'From', value: text(p, 'From'), name: text(p, 'FromName') },
  ]);

  // OriginalRecipient is the envelope address the mail was delivered to; when mail is forwarded to
  // Postmark's inbound address that is the hash address, and our mailbox is only in To/Cc: keep all
  const to = requireRecipients(
    'Postmark',
    [text(p, 'OriginalRecipient') ?? '', ...postmarkEmails(p.ToFull), ...postmarkEmails(p.CcFull)],
    [text(p, 'To'), text(p, 'Cc')],
    { field: 'OriginalRecipient', described: 'OriginalRecipient, ToFull and CcFull carry' },
  );

  const html = nonEmpty(text(p, 'HtmlBody'));
  return assemble(
    {
      headers,
      from,
      to,
      subject: text(p, 'Subject') ?? '',
      text: bodyText(text(p, 'TextBody'), html),
      html,
      files: postmarkAttachments(p.Attachments),
      date: text(p, 'Date') ?? firstHeader(headers, 'date'),
      envelopeFrom: undefined,
      fallbackIds: {},
    },
    limits,
  );
}

/**
 * Mailgun route `forward()` POST of a parsed message (multipart/form-data or urlencoded fields, files
 * `attachment-1..N`). Check `timestamp`/`token`/`signature` with `verifyMailgunSignature` first.
 * Throws {@link EmailPayloadError} when it is not such a payload.
 */
export function fromMailgun(fields: Record<string, string>, files: UploadedFile[], limits: ParseLimits): ParsedEmail {
  assertLimits(limits);
  const f = asObject(fields, 'the Mailgun form fields');
  const headers = headersFromPairs(mailgunHeaderPairs(text(f, 'message-headers')));

  const from = requireSender('Mailgun', [
    { field: 'from', value: text(f, 'from') },
    { field: 'sender', value: text(f, 'sender') },
  ]);

  // "recipient" is the RCPT TO of this delivery
  const to = requireRecipients(
    'Mailgun',
    (text(f, 'recipient') ?? '').split(','),
    [...(headers.get('to') ?? []), ...(headers.get('cc') ?? [])],
    { field: 'recipient', described: '"recipient" and the To/Cc headers carry' },
  );

  const html = nonEmpty(joined(f, 'body-html'));
  return assemble(
    {
      headers,
      from,
      to,
      subject: text(f, 'subject') ?? firstHeader(headers, 'subject') ?? '',
      text: bodyText(text(f, 'body-plain'), html),
      html,
      files: numberedFiles(files, {
        provider: 'Mailgun',
        pattern: /^attachment-(\d+)$/,
        countField: 'attachment-count',
        declaredCount: text(f, 'attachment-count'),
      }),
      // "timestamp" is when Mailgun posted, not when the mail was written
      date: firstHeader(headers, 'date'),
      envelopeFrom: text(f, 'sender'),
      fallbackIds: {
        messageId: text(f, 'Message-Id'),
        inReplyTo: text(f, 'In-Reply-To'),
        references: text(f, 'References'),
      },
    },
    limits,
  );
}

/**
 * SendGrid Inbound Parse POST (multipart/form-data, files `attachment1..N`). With "POST the raw, full MIME
 * message" on, the `email` field holds the whole message and is parsed by {@link parseRawEmail}, which is why
 * this one is async. Throws (rejects with) {@link EmailPayloadError} when it is not such a payload.
 */
export async function fromSendgrid(
  fields: Record<string, string>,
  files: UploadedFile[],
  limits: ParseLimits,
): Promise<ParsedEmail> {
  assertLimits(limits);
  const f = asObject(fields, 'the SendGrid form fields');
  const envelope = sendgridEnvelope(text(f, 'envelope'));

  const raw = nonEmpty(text(f, 'email'));
  if (raw) {
    try {
      return await parseRawEmail(raw, { ...limits, envelopeTo: envelope.to, envelopeFrom: envelope.from });
    } catch (error) {
      if (error instanceof EmailPayloadError) {
        throw new EmailPayloadError(`SendGrid field "email" (raw MIME): ${error.message}`, 'email');
      }
      throw error;
    }
  }

  const headers = headersFromBlock(text(f, 'headers') ?? '');
  const from = requireSender('SendGrid', [
    { field: 'from', value: text(f, 'from') },
    { field: 'envelope.from', value: envelope.from },
  ]);

  const to = requireRecipients('SendGrid', envelope.to ?? [], [text(f, 'to'), text(f, 'cc')], {
    field: 'envelope',
    described: 'envelope.to, "to" and "cc" carry',
  });

  const info = sendgridAttachmentInfo(text(f, 'attachment-info'));
  const html = nonEmpty(text(f, 'html'));
  return assemble(
    {
      headers,
      from,
      to,
      subject: text(f, 'subject') ?? '',
      text: bodyText(text(f, 'text'), html),
      html,
      files: numberedFiles(files, {
        provider: 'SendGrid',
        pattern: /^attachment(\d+)$/,
        countField: 'attachments',
        declaredCount: text(f, 'attachments'),
        infoFor: (fieldname) => info[fieldname],
      }),
      date: firstHeader(headers, 'date'),
      envelopeFrom: envelope.from,
      fallbackIds: {},
    },
    limits,
  );
}

interface Draft {
  headers: HeaderBag;
  from: EmailAddress;
  to: string[];
  subject: string;
  text: string;
  html: string | null;
  files: AttachmentInput[];
  date: string | undefined;
  envelopeFrom: string | undefined;
  /** ids some providers also post as top-level fields, used when the header list lacks them */
  fallbackIds: { messageId?: string; inReplyTo?: string; references?: string };
}

function assemble(d: Draft, limits: ParseLimits): ParsedEmail {
  const { autoSubmitted, bounce } = classifyEmail({
    headers: d.headers,
    from: d.from.address,
    subject: d.subject,
    text: d.text,
    envelopeFrom: d.envelopeFrom,
    parts: d.files.map((file) => ({ contentType: file.contentType ?? '', content: file.content })),
  });
  const files = bounce ? d.files.filter((file) => !isDeliveryReportPart(file.contentType ?? '')) : d.files;
  const references = d.headers.get('references')?.join(' ') ?? d.fallbackIds.references;
  return {
    from: d.from,
    to: d.to,
    subject: d.subject,
    messageId: parseMessageId(firstHeader(d.headers, 'message-id') ?? d.fallbackIds.messageId),
    inReplyTo: parseMessageId(firstHeader(d.headers, 'in-reply-to') ?? d.fallbackIds.inReplyTo),
    references: parseMessageIds(references),
    text: d.text,
    html: d.html,
    autoSubmitted,
    bounce,
    attachments: files.map((file, i) => toParsedAttachment(file, i, limits)),
    date: toIsoDate(d.date),
  };
}

interface SenderCandidate {
  field: string;
  value: string | undefined;
  /** a display name the provider gives separately */
  name?: string | undefined;
}

/** The first candidate that holds a valid mailbox; otherwise an error naming what was missing or invalid. */
/** The envelope recipients, else those of the To/Cc header values; none at all is not a mail we can take. */
function requireRecipients(
  provider: string,
  envelope: ReadonlyArray<string>,
  headerValues: ReadonlyArray<string | null | undefined>,
  missing: { field: string; described: string },
): string[] {
  const fromEnvelope = normaliseAddresses(envelope);
  const to = fromEnvelope.length ? fromEnvelope : parseAddressList(headerValues);
  if (to.length === 0) throw new EmailPayloadError(`${provider} payload has no recipient: ${missing.described} no valid address`, missing.field);
  return to;
}

function requireSender(provider: string, candidates: readonly SenderCandidate[]): EmailAddress {
  for (const candidate of candidates) {
    const mailbox = parseMailbox(candidate.value);
    if (mailbox) return { address: mailbox.address, name: candidate.name?.trim() || mailbox.name };
  }
  const present = candidates.find((c) => c.value !== undefined && c.value.trim() !== '');
  if (present) {
    throw new EmailPayloadError(
      `${provider} payload has an invalid sender address in ${present.field}: "${present.value}"`,
      present.field,
    );
  }
  const names = candidates.map((c) => c.field).join(' and ');
  throw new EmailPayloadError(`${provider} payload has no sender: ${names} missing`, candidates[0]?.field ?? null);
}

function postmarkHeaders(value: unknown): Array<[string, string]> {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    throw new EmailPayloadError('Postmark field "Headers" is not an array of {Name, Value}', 'Headers');
  }
  const pairs: Array<[string, string]> = [];
  for (const entry of value) {
    if (isObject(entry) && typeof entry.Name === 'string' && typeof entry.Value === 'string') {
      pairs.push([entry.Name, entry.Value]);
    }
  }
  return pairs;
}

function postmarkEmails(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.map((entry) => (isObject(entry) && typeof entry.Email === 'string' ? entry.Email : ''));
}

function postmarkAttachments(value: unknown): AttachmentInput[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new EmailPayloadError('Postmark field "Attachments" is not an array', 'Attachments');
  return value.map((entry, i) => {
    const content = isObject(entry) ? entry.Content : undefined;
    if (typeof content !== 'string' || !/^[A-Za-z0-9+/=\s]*$/.test(content)) {
      throw new EmailPayloadError(`Postmark attachment ${i + 1} has no base64 "Content"`, 'Attachments');
    }
    return {
      filename: text(entry as Record<string, unknown>, 'Name'),
      contentType: text(entry as Record<string, unknown>, 'ContentType'),
      content: Buffer.from(content, 'base64'),
    };
  });
}

function mailgunHeaderPairs(json: string | undefined): Array<[string, string]> {
  if (json === undefined || json.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    parsed = undefined;
  }
  const valid =
    Array.isArray(parsed) &&
    parsed.every(
      (pair) => Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'string' && typeof pair[1] === 'string',
    );
  if (!valid) {
    throw new EmailPayloadError(
      'Mailgun field "message-headers" is not a JSON array of [name, value] pairs',
      'message-headers',
    );
  }
  return parsed as Array<[string, string]>;
}

function sendgridEnvelope(json: string | undefined): { to?: string[]; from?: string } {
  if (json === undefined || json.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new EmailPayloadError('SendGrid field "envelope" is not valid JSON', 'envelope');
  }
  if (!isObject(parsed)) throw new EmailPayloadError('SendGrid field "envelope" is not a JSON object', 'envelope');
  const to = typeof parsed.to === 'string' ? [parsed.to] : Array.isArray(parsed.to) ? parsed.to : [];
  return {
    to: to.filter((t): t is string => typeof t === 'string'),
    from: typeof parsed.from === 'string' ? parsed.from : undefined,
  };
}

interface SendgridFileInfo {
  filename?: string;
  type?: string;
}

function sendgridAttachmentInfo(json: string | undefined): Record<string, SendgridFileInfo> {
  if (json === undefined || json.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new EmailPayloadError('SendGrid field "attachment-info" is not valid JSON', 'attachment-info');
  }
  if (!isObject(parsed)) {
    throw new EmailPayloadError('SendGrid field "attachment-info" is not a JSON object', 'attachment-info');
  }
  const out: Record<string, SendgridFileInfo> = {};
  for (const [key, entry] of Object.entries(parsed)) {
    if (!isObject(entry)) continue;
    out[key] = {
      filename: [entry.filename, entry.name].find((v): v is string => typeof v === 'string'),
      type: typeof entry.type === 'string' ? entry.type : undefined,
    };
  }
  return out;
}

interface NumberedFilesSpec {
  provider: string;
  /** field names of the attachment files, capturing their number */
  pattern: RegExp;
  /** the field that says how many attachments there are */
  countField: string;
  declaredCount: string | undefined;
  infoFor?: (fieldname: string) => SendgridFileInfo | undefined;
}

/** The numbered attachment files, in order; a count field that promises more files than arrived is an error. */
function numberedFiles(
  files: UploadedFile[] | null | undefined,
  { provider, pattern, countField, declaredCount, infoFor }: NumberedFilesSpec,
): AttachmentInput[] {
  if (files !== undefined && files !== null && !Array.isArray(files)) {
    throw new EmailPayloadError(`${provider} files must be an array of uploaded files`);
  }
  const numbered = (files ?? [])
    .map((file) => ({ file, n: Number(pattern.exec(file?.fieldname ?? '')?.[1]) }))
    .filter((entry) => Number.isInteger(entry.n))
    .sort((a, b) => a.n - b.n);

  if (declaredCount !== undefined && declaredCount.trim() !== '') {
    const expected = Number(declaredCount);
    if (!Number.isInteger(expected) || expected < 0) {
      throw new EmailPayloadError(`${provider} field "${countField}" is not a count: "${declaredCount}"`, countField);
    }
    // a form parser that dropped the files would otherwise lose them silently
    if (numbered.length < expected) {
      throw new EmailPayloadError(
        `${provider} field "${countField}" says ${expected} attachment(s) but ${numbered.length} file(s) were uploaded`,
        countField,
      );
    }
  }

  return numbered.map(({ file }) => {
    if (!Buffer.isBuffer(file.buffer)) {
      throw new EmailPayloadError(`${provider} upload "${file.fieldname}" has no in-memory buffer`, file.fieldname);
    }
    const info = infoFor?.(file.fieldname);
    return {
      filename: file.originalname || info?.filename,
      contentType: file.mimetype || info?.type,
      content: file.buffer,
    };
  });
}

function bodyText(plain: string | undefined, html: string | null): string {
  if (plain !== undefined && plain.trim() !== '') return plain;
  return html ? htmlToText(html) : '';
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (!isObject(value)) throw new EmailPayloadError(`${what} is not an object`);
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

/** A string field; a field repeated by the form parser (an array) yields its first string. */
function text(obj: Record<string, unknown>, key: string): string | undefined {
  const value = obj[key];
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.find((v): v is string => typeof v === 'string');
  return undefined;
}

/** All strings of a possibly repeated field, joined (Mailgun documents body-html as an array of parts). */
function joined(obj: Record<string, unknown>, key: string): string | undefined {
  const value = obj[key];
  if (Array.isArray(value)) {
    const parts = value.filter((v): v is string => typeof v === 'string');
    return parts.length > 0 ? parts.join('\n') : undefined;
  }
  return typeof value === 'string' ? value : undefined;
}

function nonEmpty(value: string | undefined): string | null {
  return value !== undefined && value.trim() !== '' ? value : null;
}
