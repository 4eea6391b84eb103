import { z } from 'zod';

/**
 * What a rule sends to the device when it fires (rules.command, #18): once per episode, queued
 * like any command (delivered when the device is connected, never after `ttlS`).
 */
export const RuleCommand = z.object({
  name: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/, 'a command name: letters, digits, _ . : -, starting with a letter'),
  params: z.record(z.string().max(64), z.unknown()).default({}),
  ttlS: z
    .number()
    .int()
    .min(1)
    .max(7 * 86_400)
    .default(3_600),
});
