/**
 * Carrier compliance keywords, matched the way carriers and Twilio match them: the whole message,
 * one word, any case, surrounding spaces and punctuation ignored.
 */
const KEYWORDS = {
  stop: ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE'],
  start: ['START', 'UNSTOP', 'YES'],
  help: ['HELP', 'INFO'],
} as const;

export type SmsKeyword = keyof typeof KEYWORDS;

export function smsKeyword(text: string): { kind: SmsKeyword; word: string } | null {
  const word = text.trim().replace(/[.!?]+$/, '').toUpperCase();
  for (const kind of Object.keys(KEYWORDS) as SmsKeyword[]) {
    if ((KEYWORDS[kind] as readonly string[]).includes(word)) return { kind, word };
  }
  return null;
}
