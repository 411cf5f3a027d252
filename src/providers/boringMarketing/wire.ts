// Boring Marketing's wire shapes (providers.md §1): what Runwatch reads of each answer.
import * as z from 'zod/mini';

// ---- wire schemas (only what Runwatch reads; everything else passes through loose objects) ----------

// z.lazy: each schema is built on its first use, not while the bundle loads (start-up; see CONTRIBUTING.md).
export const brandSchema = z.lazy(() => z.looseObject({
  id: z.string(),
  domain: z.nullish(z.string()),
  name: z.nullish(z.string()),
  existing: z.nullish(z.boolean()),
}));
export type WireBrand = z.infer<typeof brandSchema>;

/** Documented as a bare array; an enveloped list is tolerated in case that changes. */
export const brandListSchema = z.lazy(() => z.union([z.array(brandSchema), z.looseObject({ brands: z.array(brandSchema) })]));

export const runMetaSchema = z.lazy(() => z.looseObject({
  current_stage: z.nullish(z.string()),
  stage_detail: z.nullish(z.string()),
  stage_started_at: z.nullish(z.string()),
}));

export const runSchema = z.lazy(() => z.looseObject({
  id: z.string(),
  brand_id: z.nullish(z.string()),
  kind: z.nullish(z.string()),
  status: z.string(),
  error: z.nullish(z.string()),
  started_at: z.nullish(z.string()),
  finished_at: z.nullish(z.string()),
  meta: z.nullish(runMetaSchema),
}));
export type WireRun = z.infer<typeof runSchema>;

export const runListSchema = z.lazy(() => z.union([
  z.looseObject({ brand_id: z.nullish(z.string()), total: z.nullish(z.number()), runs: z.array(runSchema) }),
  z.array(runSchema),
]));

export const triggerSchema = z.lazy(() => z.looseObject({ run_id: z.string(), status: z.nullish(z.string()) }));
export const cancelSchema = z.lazy(() => z.looseObject({ run_id: z.nullish(z.string()), status: z.nullish(z.string()), cancelled: z.nullish(z.boolean()) }));
/** /auth/usage: any object will do; it is only a key check. */
export const usageSchema = z.lazy(() => z.looseObject({}));
