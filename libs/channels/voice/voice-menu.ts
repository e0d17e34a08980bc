import { z } from 'zod';
import { DomainError, ErrorCode } from '@cc/shared';

/** Where a menu choice leads: a queue, a sub-menu, or a voicemail box that routes like a queue. */
export type MenuOption = { queue: string } | { menu: VoiceMenu } | { voicemail: { queue: string } };

/**
 * The IVR a dialled number answers with. Digits (and, optionally, spoken words mapped to digits)
 * choose an option; no input repeats the prompt `repeat` times, then takes `default`.
 */
export interface VoiceMenu {
  greeting?: string;
  prompt: string;
  options: Record<string, MenuOption>;
  /** spoken phrase → digit, e.g. { "support": "1" }: turns on speech input */
  speech?: Record<string, string>;
  timeoutSeconds?: number;
  repeat?: number;
  default?: MenuOption;
}

const optionSchema: z.ZodType<MenuOption> = z.lazy(() =>
  z.union([
    z.object({ queue: z.string().min(1).max(80) }).strict(),
    z.object({ menu: menuSchema }).strict(),
    z.object({ voicemail: z.object({ queue: z.string().min(1).max(80) }).strict() }).strict(),
  ]),
);

const menuSchema: z.ZodType<VoiceMenu> = z.lazy(() =>
  z
    .object({
      greeting: z.string().min(1).max(1000).optional(),
      prompt: z.string().min(1).max(1000),
      options: z.record(z.string().regex(/^[0-9*#]$/, 'options are single keys: 0-9, * or #'), optionSchema),
      speech: z.record(z.string().min(1).max(60), z.string().regex(/^[0-9*#]$/)).optional(),
      timeoutSeconds: z.number().int().min(1).max(30).optional(),
      repeat: z.number().int().min(0).max(5).optional(),
      default: optionSchema.optional(),
    })
    .strict(),
);

/** A menu as an admin sent it, checked: a bad one is a 400 naming the field. */
export function parseVoiceMenu(input: unknown): VoiceMenu {
  const parsed = menuSchema.safeParse(input);
  if (!parsed.success) {
    throw new DomainError(ErrorCode.ValidationFailed, `invalid voice menu: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'menu'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** The sub-menu at a path of digits ('' is the top), or null if the path leads nowhere. */
export function menuAt(root: VoiceMenu, path: string): VoiceMenu | null {
  let menu: VoiceMenu = root;
  for (const key of path) {
    const option = menu.options[key];
    if (!option || !('menu' in option)) return null;
    menu = option.menu;
  }
  return menu;
}

/** What the caller chose: the option for their key (or a phrase mapped to one), or null if none matches. */
export function chosenOption(menu: VoiceMenu, digits: string | undefined, speech: string | undefined): { key: string; option: MenuOption } | null {
  let key = digits?.trim().slice(0, 1);
  if (!key && speech && menu.speech) {
    const said = speech.toLowerCase();
    key = Object.entries(menu.speech).find(([phrase]) => said.includes(phrase.toLowerCase()))?.[1];
  }
  if (!key || !menu.options[key]) return null;
  return { key, option: menu.options[key] };
}
