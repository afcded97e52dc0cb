/**
 * ajv checks request envelopes only (object shape, `schemas`, PatchOp structure); resource
 * attributes are checked by the registry-driven validator because SCIM attribute names are
 * case-insensitive and JSON Schema property names are not.
 *
 * Bodies: no type coercion (Fastify's default would turn a scalar into an array and "1"
 * into 1, hiding client errors). Query strings: coercion on, since every value is a string.
 */
import { Ajv, type Options } from 'ajv'
import type { FastifyInstance } from 'fastify'

const COMMON: Options = { allErrors: false, strict: false, useDefaults: true }

export function registerValidation (app: FastifyInstance): void {
  const bodyAjv = new Ajv({ ...COMMON, coerceTypes: false, removeAdditional: false })
  const queryAjv = new Ajv({ ...COMMON, coerceTypes: true, removeAdditional: false })
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? bodyAjv : queryAjv
    return ajv.compile(schema)
  })
}
