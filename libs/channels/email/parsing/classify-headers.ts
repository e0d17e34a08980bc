import {
  firstHeader,
  headersFromBlock,
  mimeType,
  normaliseAddresses,
  parseMessageId,
  type HeaderBag,
} from './email-fields';
import type { BounceReport } from './parsed-email';

/** A decoded MIME part that may belong to a delivery report (status fields, or the returned message). */
export interface ReportPart {
  contentType: string;
  content: Buffer;
}

/** What every inbound source knows about a message, enough to tell machine mail and bounces apart. */
export interface ClassifyInput {
  headers: HeaderBag;
  /** The sender address, lowercased. */
  from: string;
  subject: string;
  /** The plain-text body. */
  text: string;
  /** SMTP MAIL FROM when the source knows it; "" or "<>" is the null sender of a bounce. Falls back to Return-Path. */
  envelopeFrom?: string | null;
  /** Attachment-like parts; the delivery-report ones are looked at. */
  parts: readonly ReportPart[];
}

/** The verdict shared by the raw parser and the provider converters. */
export interface Classification {
  autoSubmitted: boolean;
  bounce: BounceReport | null;
}

const STATUS_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status']);
const RETURNED_TYPES = new Set(['message/rfc822', 'message/global', 'text/rfc822-headers', 'message/global-headers']);
const PRECEDENCE = new Set(['bulk', 'junk', 'list', 'auto_reply', 'auto-reply']);
const SUPPRESS = new Set(['all', 'oof', 'autoreply']);
const NEGATIVE = new Set(['no', 'false', '0']);
const DAEMON = /^(?:mailer-daemon|mailerdaemon|mail-daemon|postmaster)$/i;
const BOUNCE_SUBJECT = new RegExp(
  `\\b(?:${[
    'undeliver(?:ed|able)',
    'returned to sender',
    'returned mail',
    'delivery status notification',
    'delivery (?:notification|failure|has failed|failed|problem)',
    'mail delivery (?:failed|failure|system|subsystem)',
    'failure notice',
    '(?:could|can) ?not (?:be )?(?:delivered|sent)',
    'not delivered',
    'non[- ]?delivery',
  ].join('|')})\\b`,
  'i',
);
const ENHANCED_STATUS = /\b([245]\.\d{1,3}\.\d{1,3})\b/;
const SMTP_REPLY_STATUS = /\b[45]\d\d[ -]#?([45]\.\d{1,3}\.\d{1,3})\b/;
const SMTP_REPLY_LINE = /^.*\b[45]\d\d[ -]#?[45]\.\d{1,3}\.\d{1,3}\b.*$/m;

/** True for the MIME types that make up a delivery report rather than a customer's attachment. */
export function isDeliveryReportPart(contentType: string): boolean {
  const type = mimeType(contentType);
  return STATUS_TYPES.has(type) || RETURNED_TYPES.has(type);
}

/** The header rules for machine-sent mail. List-Id and List-Unsubscribe alone do not count: people reply to lists. */
export function isAutoSubmitted(headers: HeaderBag): boolean {
  const values = (name: string): readonly string[] => headers.get(name) ?? [];
  if (values('auto-submitted').some((v) => token(v) !== '' && token(v) !== 'no')) return true;
  if (values('precedence').some((v) => PRECEDENCE.has(token(v)))) return true;
  const flagged = (v: string): boolean => !NEGATIVE.has(token(v));
  if (values('x-autoreply').some(flagged) || values('x-autorespond').some(flagged)) return true;
  return values('x-auto-response-suppress').some((v) => v.split(/[\s,;]+/).some((t) => SUPPRESS.has(t.toLowerCase())));
}

/** Auto-submitted and bounce verdicts in one place, so every source applies the same rules. */
export function classifyEmail(input: ClassifyInput): Classification {
  const bounce = detectBounce(input);
  // a bounce is machine mail even when the MTA left out Auto-Submitted
  return { autoSubmitted: bounce !== null || isAutoSubmitted(input.headers), bounce };
}

function detectBounce(input: ClassifyInput): BounceReport | null {
  const statusPart = input.parts.find((p) => STATUS_TYPES.has(mimeType(p.contentType)));
  const contentType = firstHeader(input.headers, 'content-type') ?? '';
  const isReport =
    statusPart !== undefined ||
    (/^\s*multipart\/report\b/i.test(contentType) && /report-type\s*=\s*"?delivery-status"?/i.test(contentType));
  if (!isReport && !looksLikePlainBounce(input)) return null;

  const structured = statusPart ? statusFields(statusPart.content.toString('utf8')) : undefined;
  const returned = input.parts.find((p) => RETURNED_TYPES.has(mimeType(p.contentType)));
  const returnedId = returned
    ? parseMessageId(firstHeader(headersFromBlock(returned.content.toString('utf8')), 'message-id'))
    : null;
  const textual = fromBodyText(input.text);
  const failedHeader = normaliseAddresses((firstHeader(input.headers, 'x-failed-recipients') ?? '').split(','))[0];
  return {
    originalMessageId: returnedId ?? textual.originalMessageId,
    recipient: structured?.recipient ?? failedHeader ?? textual.recipient,
    status: structured?.status ?? textual.status,
    diagnostic: structured?.diagnostic ?? textual.diagnostic,
  };
}

/** The common non-standard bounce: a daemon or null sender, and a subject that says so. */
function looksLikePlainBounce(input: ClassifyInput): boolean {
  const envelope = input.envelopeFrom ?? firstHeader(input.headers, 'return-path') ?? null;
  const nullSender = envelope !== null && envelope.replace(/[<>\s]/g, '') === '';
  const daemon = DAEMON.test(input.from.split('@')[0] ?? '');
  const failedHeader = input.headers.has('x-failed-recipients');
  return (daemon || nullSender || failedHeader) && BOUNCE_SUBJECT.test(input.subject);
}

type BounceFields = Omit<BounceReport, 'originalMessageId'>;

/** Reads the per-recipient fields of a message/delivery-status body (RFC 3464), preferring a failed recipient. */
function statusFields(report: string): BounceFields | undefined {
  const groups = report.split(/\r?\n[ \t]*\r?\n/).map(headersFromBlock);
  const recipients = groups.filter((g) => g.has('final-recipient') || g.has('original-recipient'));
  const chosen = recipients.find((g) => token(firstHeader(g, 'action') ?? '') === 'failed') ?? recipients[0];
  if (!chosen) return undefined;
  const recipient = firstHeader(chosen, 'final-recipient') ?? firstHeader(chosen, 'original-recipient') ?? '';
  return {
    recipient: normaliseAddresses([withoutType(recipient)])[0] ?? null,
    status: ENHANCED_STATUS.exec(firstHeader(chosen, 'status') ?? '')?.[1] ?? null,
    diagnostic: collapse(withoutType(firstHeader(chosen, 'diagnostic-code') ?? '')) || null,
  };
}

/** Best effort over a human-readable bounce body (Postfix, Exim, Gmail, Exchange wordings). */
function fromBodyText(text: string): BounceReport {
  const fields = statusFields(text);
  const idLine = /^[ \t>]*(?:original-)?message-id[ \t]*:[ \t]*(.+)$/im.exec(text);
  const recipient =
    fields?.recipient ??
    firstMatch(text, [
      /^\s*<([^<>\s]+@[^<>\s]+)>:/m, // postfix: "<user@host>: host ... said:"
      /(?:failed|recipients?)[ \t]*:[ \t]*\r?\n(?:[ \t]*\r?\n)*[ \t]*<?([^\s<>]+@[^\s<>]+?)>?[ \t]*\r?$/im, // exim, gmail
      /\bdelivered to[ \t]+<?([^\s<>]+@[^\s<>]+?)>?(?=[\s,:]|\.\s|$)/i, // "wasn't delivered to user@host because"
    ]);
  return {
    originalMessageId: idLine ? parseMessageId(idLine[1]) : null,
    recipient: recipient ? (normaliseAddresses([recipient])[0] ?? null) : null,
    status: fields?.status ?? SMTP_REPLY_STATUS.exec(text)?.[1] ?? null,
    diagnostic: fields?.diagnostic ?? (collapse(SMTP_REPLY_LINE.exec(text)?.[0] ?? '') || null),
  };
}

function firstMatch(text: string, patterns: readonly RegExp[]): string | null {
  for (const pattern of patterns) {
    const found = pattern.exec(text)?.[1];
    if (found) return found;
  }
  return null;
}

/** The first token of a header value, lowercased, without parameters or comments. */
function token(value: string): string {
  return (value.split(';')[0] ?? '').replace(/\([^)]*\)/g, '').trim().toLowerCase();
}

/** Drops the RFC 3464 type prefix: "rfc822; a@b" and "smtp; 550 ..." keep what follows the semicolon. */
function withoutType(value: string): string {
  return value.replace(/^\s*[\w.-]+\s*;\s*/, '');
}

function collapse(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}
