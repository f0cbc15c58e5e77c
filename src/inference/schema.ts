import { z } from 'zod';
import { MODEL_NAMES } from '../denoise/models.ts';

const s3Url = z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+$/, 'must be an s3://bucket/key URL');
const positiveInt = z.number().int().positive();

/** The body of POST /invocations; every field is required. */
export const invocationSchema = z
  .object({
    model: z.enum(MODEL_NAMES),
    type: z.literal('static'),
    pixel_pitch: z.number().positive(),
    img_input_url: s3Url,
    img_output_url: s3Url,
    digital_offset: z.number().int().min(0).max(65535),
    using_bits: z.number().int().min(1).max(16),
    strength: z.number().int().min(0).max(20),
    width: positiveInt,
    height: positiveInt,
  })
  .refine((r) => r.img_input_url !== r.img_output_url, {
    path: ['img_output_url'],
    message: 'must differ from img_input_url',
  });

export type InvocationRequest = z.infer<typeof invocationSchema>;

/** Validates a parsed JSON body; the error message names the first offending field. */
export function parseInvocation(
  body: unknown,
): { ok: true; request: InvocationRequest } | { ok: false; message: string } {
  const result = invocationSchema.safeParse(body);
  if (result.success) return { ok: true, request: result.data };
  const issue = result.error.issues[0];
  const field = issue.path.length ? issue.path.join('.') : 'body';
  const value = valueAt(body, issue.path);
  if (issue.code === 'invalid_type' && value === undefined) return { ok: false, message: `${field}: is required` };
  const expected = issue.code === 'invalid_type' ? EXPECTED[issue.expected] : undefined;
  const message = expected ? `must be ${expected}` : issue.message;
  return { ok: false, message: `${field}: ${message}, got ${JSON.stringify(value) ?? typeof value}` };
}

/** What a field of the wrong type should have been, in words. */
const EXPECTED: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'a string',
  object: 'a JSON object',
};

function valueAt(body: unknown, path: PropertyKey[]): unknown {
  let value = body;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

export interface S3Location {
  bucket: string;
  key: string;
}

export function parseS3Url(url: string): S3Location {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!match) throw new Error(`not an s3:// URL: ${url}`);
  return { bucket: match[1], key: match[2] };
}
