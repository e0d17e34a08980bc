import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';

/**
 * A phone number in E.164 (+14155550100), or null when it cannot be one. `+1 (415) 555-0100` and,
 * with region US, `4155550100` are the same number. "Possible" rather than "valid": a number's
 * length and country must fit, but ranges the metadata does not list yet (new ones, test ranges
 * such as 555-01xx) are still accepted, since the carrier, not us, knows which numbers exist.
 */
export function toE164(raw: string, defaultRegion: string): string | null {
  const trimmed = raw.trim();
  if (!/^[+()\d\s.\-]{3,32}$/.test(trimmed)) return null;
  const parsed = parsePhoneNumberFromString(trimmed, defaultRegion as CountryCode);
  return parsed?.isPossible() ? parsed.number : null;
}
