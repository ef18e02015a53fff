import { BttError, type ErrorName, parseAmount } from "@btt/core";

/**
 * Readers for untrusted JSON (genesis files, parameters, query parameters) that
 * say exactly which field is wrong: `bank.balances[3].amount must be …`.
 */
export class JsonFields {
  constructor(
    private readonly code: ErrorName,
    readonly path: string,
  ) {}

  private fail(what: string, field?: string): never {
    const where = field === undefined ? this.path : `${this.path}.${field}`;
    throw new BttError(this.code, `${where} ${what}`, { field: where });
  }

  object(raw: unknown): Record<string, unknown> {
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) this.fail("must be an object");
    return raw as Record<string, unknown>;
  }

  at(field: string | number): JsonFields {
    return new JsonFields(
      this.code,
      typeof field === "number" ? `${this.path}[${field}]` : `${this.path}.${field}`,
    );
  }

  string(obj: Record<string, unknown>, field: string, fallback?: string): string {
    const value = obj[field] ?? fallback;
    if (typeof value !== "string") this.fail("must be a string", field);
    return value;
  }

  amount(obj: Record<string, unknown>, field: string, fallback?: string): bigint {
    const text = this.string(obj, field, fallback);
    try {
      return parseAmount(text, field);
    } catch {
      this.fail("must be a non-negative integer written in base 10", field);
    }
  }

  integer(obj: Record<string, unknown>, field: string, min: number, max: number, fallback?: number): number {
    const value = obj[field] ?? fallback;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      this.fail(`must be an integer from ${min} to ${max}`, field);
    }
    return value;
  }

  array(obj: Record<string, unknown>, field: string, fallback?: unknown[]): unknown[] {
    const value = obj[field] ?? fallback;
    if (!Array.isArray(value)) this.fail("must be an array", field);
    return value;
  }

  check(ok: boolean, what: string, field?: string): void {
    if (!ok) this.fail(what, field);
  }
}
