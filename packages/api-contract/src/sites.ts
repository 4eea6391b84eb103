import { z } from 'zod';
import { isoString } from './common.js';

/** A site (a physical location, with the time zone its charts and day totals use): /api/sites. */
export const Site = z.object({
  id: z.string(),
  tenantId: z.string(),
  name: z.string(),
  address: z.string(),
  contactPerson: z.string(),
  timezone: z.string(),
  isActive: z.boolean(),
  attributes: z.record(z.string(), z.unknown()),
  createdAt: isoString,
});
export type Site = z.infer<typeof Site>;

/** An asset of the typed tree (floor > pantry > dispenser, line > machine...): /api/assets. */
export const Asset = z.object({
  id: z.string(),
  tenantId: z.string(),
  siteId: z.string().nullable(),
  parentId: z.string().nullable(),
  type: z.string(),
  name: z.string(),
  isActive: z.boolean(),
  attributes: z.record(z.string(), z.unknown()),
  createdAt: isoString,
  updatedAt: isoString,
});
export type Asset = z.infer<typeof Asset>;
