// CreatePropertiesMeasurementRequest as published in the Ionworks OpenAPI (POST
// /cell_instances/{cell_instance_id}/cell_measurements/create). Checked before a body is written to the outbox,
// so a body the server would reject with 422 for its shape never becomes a queued row.
import { z } from 'zod';

/** Numeric properties use the Quantity format, e.g. {"value": 0.52, "unit": "mm"}. */
export const quantitySchema = z.object({ value: z.number(), unit: z.string().min(1) }).strict();

const openObject = z.record(z.string(), z.unknown());

export const measurementTypeSchema = z.enum(['time_series', 'file', 'properties']);

// Optional fields are omitted rather than sent as null (as the official SDK does), but null stays valid input.
// `.strict()`: a key the API does not define is a bug on our side, not something to send.
export const createPropertiesMeasurementSchema = z
  .object({
    name: z.string().min(1).max(255),
    protocol: openObject.nullable().optional(),
    start_time: z.iso.datetime({ offset: true }).nullable().optional(),
    test_setup: openObject.nullable().optional(),
    step_labels_validated: z.boolean().optional(),
    notes: z.string().nullable().optional(),
    measurement_type: measurementTypeSchema.optional(),
    // The API accepts any values; ours are Quantities, or plain strings for non-numeric properties.
    properties: z.record(z.string(), z.union([quantitySchema, z.string()])),
    file_metadata: openObject.nullable().optional(),
  })
  .strict();

export type CreatePropertiesMeasurementRequest = z.infer<typeof createPropertiesMeasurementSchema>;
export type Quantity = z.infer<typeof quantitySchema>;
