// Amounts as people write them ("1.5" BTT) and as the ledger counts them (bigint base units).
// Never through a JS number: digits are scaled as text, so nothing is rounded.
import { BttError, MAX_AMOUNT, parseAmount } from "@btt/core";

/** The most decimals a denomination can have (10^77 < 2^256 < 10^78). */
export const MAX_DECIMALS = 77;
const DECIMAL = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

function checkDecimals(decimals: number): void {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > MAX_DECIMALS) {
    throw new BttError("INVALID_AMOUNT", `decimals must be an integer from 0 to ${MAX_DECIMALS}`, {
      decimals,
    });
  }
}

/**
 * A decimal amount in display units ("1.5") as base units, given the denomination's decimals
 * (6 for BTT: "1.5" → 1500000n). Rejects numbers (they may already be rounded), negatives,
 * exponents, signs, spaces, more decimals than the denomination has, and values ≥ 2^256.
 */
export function parseDenomAmount(text: string, decimals: number, what = "amount"): bigint {
  checkDecimals(decimals);
  if (typeof text !== "string") {
    throw new BttError(
      "INVALID_AMOUNT",
      `${what} must be a decimal string like "1.5", not a ${typeof text}`,
      {
        [what]: String(text),
      },
    );
  }
  const m = DECIMAL.exec(text);
  if (!m) {
    throw new BttError(
      "INVALID_AMOUNT",
      `${what} "${text}" must be a non-negative decimal number like "1.5" (no sign, exponent or spaces)`,
      { [what]: text },
    );
  }
  const whole = m[1]!;
  const fraction = m[2] ?? "";
  if (fraction.length > decimals) {
    throw new BttError(
      "INVALID_AMOUNT",
      `${what} "${text}" has ${fraction.length} decimals; this denomination has ${decimals}`,
      { [what]: text, decimals },
    );
  }
  const value = BigInt(whole + fraction.padEnd(decimals, "0"));
  if (value > MAX_AMOUNT)
    throw new BttError("INVALID_AMOUNT", `${what} "${text}" exceeds 2^256-1 base units`, { [what]: text });
  return value;
}

/** Base units as a decimal in display units: 1500000n with 6 decimals → "1.5". */
export function formatDenomAmount(amount: bigint, decimals: number): string {
  checkDecimals(decimals);
  if (amount < 0n) throw new BttError("INVALID_AMOUNT", "amount must not be negative");
  if (decimals === 0) return amount.toString();
  const digits = amount.toString().padStart(decimals + 1, "0");
  const fraction = digits.slice(-decimals).replace(/0+$/, "");
  return fraction ? `${digits.slice(0, -decimals)}.${fraction}` : digits.slice(0, -decimals);
}

/**
 * An amount given to a builder: bigint base units, a base-unit integer string ("1500000"), or,
 * with `decimals`, a display-unit decimal string ("1.5").
 */
export type AmountInput = bigint | string;

export function toBaseUnits(amount: AmountInput, decimals: number | undefined, what = "amount"): bigint {
  if (typeof amount === "bigint") {
    if (amount < 0n || amount > MAX_AMOUNT) {
      throw new BttError("INVALID_AMOUNT", `${what} must be from 0 to 2^256-1`, {
        [what]: amount.toString(),
      });
    }
    return amount;
  }
  if (decimals !== undefined) return parseDenomAmount(amount, decimals, what);
  if (typeof amount !== "string") {
    throw new BttError(
      "INVALID_AMOUNT",
      `${what} must be a bigint or a string of base units, not a ${typeof amount}`,
      {
        [what]: String(amount),
      },
    );
  }
  return parseAmount(amount, what);
}
