// A small check of a JSON value against a JSON Schema, enough to catch what a user typing a workflow's input
// gets wrong before the provider refuses it: the type, required properties, enums, items of a list. Keywords it
// does not know are ignored (the provider checks the rest). Pure, free of `vscode`.

type Schema = Record<string, unknown>;

/** The first problem found, as a sentence naming where (`limit must be a number`), or undefined when none is. */
export function checkAgainstSchema(value: unknown, schema: unknown, where = 'The input'): string | undefined {
  return check(value, schema, where, 0);
}

function check(value: unknown, schema: unknown, where: string, depth: number): string | undefined {
  if (!isSchema(schema) || depth > 20) return undefined;
  const types = typeList(schema.type);
  if (types.length && !types.some(t => hasType(value, t))) return `${where} must be ${types.map(article).join(' or ')}, not ${describe(value)}`;
  if (Array.isArray(schema.enum) && schema.enum.length && !schema.enum.some(option => sameJson(option, value))) {
    return `${where} must be one of ${schema.enum.map(o => JSON.stringify(o)).join(', ')}`;
  }
  if (isPlainObject(value)) {
    const required = Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : [];
    const missing = required.filter(name => !(name in value));
    if (missing.length) return `${where} needs ${missing.map(m => `"${m}"`).join(', ')}`;
    const properties = isSchema(schema.properties) ? schema.properties : {};
    for (const [name, child] of Object.entries(value)) {
      const problem = check(child, properties[name], `"${name}"`, depth + 1);
      if (problem) return problem;
    }
  }
  if (Array.isArray(value) && isSchema(schema.items)) {
    for (let i = 0; i < value.length; i++) {
      const problem = check(value[i], schema.items, `${where === 'The input' ? 'Item' : `${where}, item`} ${i + 1}`, depth + 1);
      if (problem) return problem;
    }
  }
  return undefined;
}

function isSchema(value: unknown): value is Schema {
  return isPlainObject(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

function typeList(type: unknown): string[] {
  if (typeof type === 'string') return [type];
  return Array.isArray(type) ? type.filter((t): t is string => typeof t === 'string') : [];
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return isPlainObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    default:
      return true; // a type this check does not know: the provider decides
  }
}

function article(type: string): string {
  switch (type) {
    case 'object':
      return 'a JSON object';
    case 'array':
      return 'a list';
    case 'integer':
      return 'a whole number';
    case 'null':
      return 'null';
    default:
      return `a ${type}`;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `${typeof value === 'string' ? 'text' : `the ${typeof value}`} ${JSON.stringify(value)}`;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
