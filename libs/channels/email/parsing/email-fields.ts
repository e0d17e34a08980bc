import { parseAddressHeader } from 'mailparser';
import type { EmailAddress, ParseLimits, ParsedAttachment } from './parsed-email';

/**
 * Message headers keyed by lowercase name, every occurrence kept in order, values unfolded and trimmed but
 * otherwise raw (encoded words are not decoded: nothing read from here needs them).
 */
export type HeaderBag = ReadonlyMap<string, readonly string[]>;

/** Builds a {@link HeaderBag} from name/value pairs, as webhook providers hand them over. */
export function headersFromPairs(pairs: Iterable<readonly [string, string]>): HeaderBag {
  const bag = new Map<string, string[]>();
  for (const [name, value] of pairs) {
    const key = name.trim().toLowerCase();
    if (!key) continue;
    const unfolded = value.replace(/\r?\n(?=[ \t])/g, '').trim();
    const list = bag.get(key);
    if (list) list.push(unfolded);
    else bag.set(key, [unfolded]);
  }
  return bag;
}

/** Builds a {@link HeaderBag} from a raw header block; reading stops at the first empty line. */
export function headersFromBlock(block: string): HeaderBag {
  const pairs: Array<[string, string]> = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.trim() === '') break;
    if (/^[ \t]/.test(line)) {
      const last = pairs[pairs.length - 1];
      if (last) last[1] += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    // an mbox "From " separator or other junk line has no name: skip it rather than mis-parse
    if (colon <= 0 || /\s/.test(line.slice(0, colon).trim())) continue;
    pairs.push([line.slice(0, colon), line.slice(colon + 1)]);
  }
  return headersFromPairs(pairs);
}

/** The first value of a header, or undefined. */
export function firstHeader(headers: HeaderBag, name: string): string | undefined {
  return headers.get(name.toLowerCase())?.[0];
}

const ID_IN_BRACKETS = /<([^<>\s]+)>/g;
const BARE_ID = /^[^<>\s@()]+@[^<>\s@()]+$/;

/** The first RFC 5322 message id in a header value, with angle brackets; a bare `id@host` gets them added. */
export function parseMessageId(value: string | null | undefined): string | null {
  return parseMessageIds(value)[0] ?? null;
}

/** Every message id in a header value (References), in order, deduplicated, with angle brackets. */
export function parseMessageIds(value: string | null | undefined): string[] {
  if (!value) return [];
  const ids = [...value.matchAll(ID_IN_BRACKETS)].map((m) => `<${m[1]}>`);
  if (ids.length === 0) {
    // some clients drop the brackets; comments in parentheses are not ids
    const tokens = value.replace(/\([^)]*\)/g, ' ').split(/[\s,]+/);
    for (const token of tokens) if (BARE_ID.test(token)) ids.push(`<${token}>`);
  }
  return [...new Set(ids)];
}

/** A date header as ISO 8601, null when it does not parse (never "now", unlike mailparser's fallback). */
export function toIsoDate(value: string | null | undefined): string | null {
  if (!value) return null;
  const date = new Date(value.trim());
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

const ADDRESS = /^[^\s@<>()[\]",;:]+@(?:[^\s@<>()[\]",;:]+\.[^\s@<>()[\]",;:.]+|\[[0-9a-fA-F.:]+\])$/;

/** A plausible deliverable address: `local@domain.tld` or `local@[ip]`, no spaces or brackets. */
export function isEmailAddress(value: string): boolean {
  return ADDRESS.test(value);
}

/** Parses one mailbox ("Name <a@b>", "a@b"); null when there is no valid address in it. */
export function parseMailbox(value: string | null | undefined): EmailAddress | null {
  if (!value || !value.trim()) return null;
  const entry = parseAddressHeader(value, { flatten: true }).value.find((a) => a.address);
  const address = entry?.address?.trim().toLowerCase() ?? '';
  if (!entry || !isEmailAddress(address)) return null;
  return { address, name: entry.name.trim() || null };
}

/** Every valid address in one or more address-list header values, lowercased. */
export function parseAddressList(values: ReadonlyArray<string | null | undefined>): string[] {
  const present = values.filter((v): v is string => typeof v === 'string' && v.trim() !== '');
  if (present.length === 0) return [];
  return normaliseAddresses(parseAddressHeader(present, { flatten: true }).value.map((a) => a.address ?? ''));
}

/** Lowercases, trims, strips angle brackets, drops invalid entries and duplicates, keeping order. */
export function normaliseAddresses(addresses: ReadonlyArray<string>): string[] {
  const out = new Set<string>();
  for (const raw of addresses) {
    const address = raw.trim().replace(/^<(.*)>$/, '$1').trim().toLowerCase();
    if (isEmailAddress(address)) out.add(address);
  }
  return [...out];
}

/** Rejects limits that would silently keep or drop every attachment. */
export function assertLimits(limits: ParseLimits): void {
  const max = limits?.maxAttachmentBytes;
  if (typeof max !== 'number' || !Number.isFinite(max) || max < 0) {
    throw new RangeError(`maxAttachmentBytes must be a non-negative number, got ${String(max)}`);
  }
}

/** A decoded attachment, before the size limit is applied. */
export interface AttachmentInput {
  filename: string | null | undefined;
  contentType: string | null | undefined;
  content: Buffer;
}

/** Applies the size limit: content over it is dropped, name, type and size are kept. */
export function toParsedAttachment(input: AttachmentInput, index: number, limits: ParseLimits): ParsedAttachment {
  const size = input.content.length;
  return {
    filename: input.filename?.trim() || `attachment-${index + 1}`,
    contentType: mimeType(input.contentType),
    size,
    contentBase64: size > limits.maxAttachmentBytes ? null : input.content.toString('base64'),
  };
}

/** A MIME type without parameters, lowercased; octet-stream when unknown. */
export function mimeType(value: string | null | undefined): string {
  const type = (value ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return /^[\w.+-]+\/[\w.+-]+$/.test(type) ? type : 'application/octet-stream';
}
