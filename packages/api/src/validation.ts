// Request validation. Bodies are checked strictly: no type coercion (1.5 is not "1.5"), unknown
// fields are errors rather than silently dropped. Path and query parameters arrive as text, so
// their validator coerces ("20" → 20 for an integer `limit`) but still rejects unknown names.
import { Ajv, type Options } from "ajv";
import type { FastifyInstance } from "fastify";

const COMMON: Options = {
  allErrors: false,
  verbose: true, // errors carry their schema: its description becomes the message (errors.ts)
  discriminator: true,
  strict: false, // OpenAPI keywords (examples) and TypeBox's symbols are not AJV keywords
  removeAdditional: false,
  useDefaults: true,
};

export function createValidators() {
  const strict = new Ajv({ ...COMMON, coerceTypes: false });
  const coercing = new Ajv({ ...COMMON, coerceTypes: true });
  return { strict, coercing };
}

export function installValidators(app: FastifyInstance): void {
  const { strict, coercing } = createValidators();
  app.setValidatorCompiler(({ schema, httpPart }) => {
    // Raw bodies (application/octet-stream) are bytes; the node decodes and checks them.
    if ((schema as { format?: string }).format === "binary") return () => true;
    return (httpPart === "body" ? strict : coercing).compile(schema);
  });
}
