/** JSON Schema draft 4, checked for structure (what API Gateway stores as a model's schema). */

const TYPES = new Set(['array', 'boolean', 'integer', 'null', 'number', 'object', 'string']);
const SCHEMA_MAPS = ['properties', 'patternProperties', 'definitions'];
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf'];
const COUNTS = ['maxLength', 'minLength', 'maxItems', 'minItems', 'maxProperties', 'minProperties'];
const NUMBERS = ['multipleOf', 'maximum', 'minimum'];
const FLAGS = ['exclusiveMaximum', 'exclusiveMinimum', 'uniqueItems'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The first structural error of `text` as a draft-4 schema, or undefined when it is one. */
export function draft4SchemaError(text: string): string | undefined {
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch {
    return 'the schema is not valid JSON';
  }
  if (!isObject(schema)) return 'the schema must be a JSON object';
  const $schema = schema.$schema;
  if ($schema !== undefined && (typeof $schema !== 'string' || !/draft-04\/schema#?$/.test($schema))) {
    return `$schema must be http://json-schema.org/draft-04/schema#, not ${JSON.stringify($schema)}`;
  }
  return schemaError(schema, '#');
}

function schemaError(schema: unknown, at: string): string | undefined {
  if (!isObject(schema)) return `${at} must be a schema object`;
  const { type } = schema;
  if (type !== undefined) {
    const types = Array.isArray(type) ? type : [type];
    if (types.length === 0 || !types.every((t) => typeof t === 'string' && TYPES.has(t))) {
      return `${at}/type ${JSON.stringify(type)} is not a JSON Schema type`;
    }
  }
  for (const key of COUNTS) {
    const v = schema[key];
    if (v !== undefined && !(Number.isInteger(v) && (v as number) >= 0))
      return `${at}/${key} must be a non-negative integer`;
  }
  for (const key of NUMBERS) {
    if (schema[key] !== undefined && typeof schema[key] !== 'number') return `${at}/${key} must be a number`;
  }
  if (typeof schema.multipleOf === 'number' && schema.multipleOf <= 0) return `${at}/multipleOf must be positive`;
  for (const key of FLAGS) {
    if (schema[key] !== undefined && typeof schema[key] !== 'boolean') return `${at}/${key} must be a boolean`;
  }
  if (schema.required !== undefined) {
    const r = schema.required;
    if (!Array.isArray(r) || r.length === 0 || !r.every((k) => typeof k === 'string') || new Set(r).size !== r.length) {
      return `${at}/required must be a non-empty array of unique strings`;
    }
  }
  if (schema.enum !== undefined && (!Array.isArray(schema.enum) || schema.enum.length === 0)) {
    return `${at}/enum must be a non-empty array`;
  }
  if (schema.pattern !== undefined) {
    if (typeof schema.pattern !== 'string') return `${at}/pattern must be a string`;
    try {
      new RegExp(schema.pattern, 'u');
    } catch {
      return `${at}/pattern is not a valid regular expression`;
    }
  }
  if (schema.$ref !== undefined && typeof schema.$ref !== 'string') return `${at}/$ref must be a string`;
  for (const key of SCHEMA_MAPS) {
    const map = schema[key];
    if (map === undefined) continue;
    if (!isObject(map)) return `${at}/${key} must be an object`;
    for (const [name, sub] of Object.entries(map)) {
      const error = schemaError(sub, `${at}/${key}/${name}`);
      if (error) return error;
    }
  }
  for (const key of SCHEMA_LISTS) {
    const list = schema[key];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.length === 0) return `${at}/${key} must be a non-empty array of schemas`;
    for (let i = 0; i < list.length; i++) {
      const error = schemaError(list[i], `${at}/${key}/${i}`);
      if (error) return error;
    }
  }
  for (const key of ['additionalProperties', 'additionalItems']) {
    const v = schema[key];
    if (v !== undefined && typeof v !== 'boolean') {
      const error = schemaError(v, `${at}/${key}`);
      if (error) return error;
    }
  }
  if (schema.not !== undefined) {
    const error = schemaError(schema.not, `${at}/not`);
    if (error) return error;
  }
  if (schema.items !== undefined) {
    const items = Array.isArray(schema.items) ? schema.items : [schema.items];
    for (let i = 0; i < items.length; i++) {
      const error = schemaError(items[i], `${at}/items${Array.isArray(schema.items) ? `/${i}` : ''}`);
      if (error) return error;
    }
  }
  return undefined;
}

/**
 * A Velocity mapping template that rebuilds a body of the schema's shape from `$input`, as GetModelTemplate gives.
 * Unconfirmed: AWS's exact layout; this one follows the templates the REST API console generates.
 */
export function modelTemplate(schemaText: string): string {
  const schema = JSON.parse(schemaText) as unknown;
  return `#set($inputRoot = $input.path('$'))\n${templateOf(schema, '$inputRoot', '')}`;
}

function templateOf(schema: unknown, ref: string, indent: string): string {
  if (!isObject(schema)) return `${ref}`;
  const type = Array.isArray(schema.type) ? (schema.type[0] as unknown) : schema.type;
  if ((type === 'object' || (type === undefined && isObject(schema.properties))) && isObject(schema.properties)) {
    const inner = `${indent}  `;
    const members = Object.entries(schema.properties).map(
      ([name, sub]) => `${inner}"${name}" : ${templateOf(sub, `${ref}.${name}`, inner)}`,
    );
    return `{\n${members.join(',\n')}\n${indent}}`;
  }
  if (type === 'array') {
    const inner = `${indent}  `;
    const item = `$elem${indent.length / 2}`;
    const element = templateOf(schema.items, item, inner);
    const loop = `${inner}#foreach(${item} in ${ref})\n${inner}${element}#if($foreach.hasNext),#end\n${inner}#end`;
    return `[\n${loop}\n${indent}]`;
  }
  if (type === 'string') return `"${ref}"`;
  return ref;
}
