/** A JSON/YAML object of an OpenAPI document, read member by member: its values are whatever the user wrote. */
export type Doc = Record<string, unknown>;

/** `value` when it is a plain object (not an array), else undefined. */
export function asDoc(value: unknown): Doc | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Doc) : undefined;
}
