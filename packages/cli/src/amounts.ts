// Amounts as a person types them on the command line: a number and its denomination in one word.
// The number itself is read and written by the SDK (parseDenomAmount / formatDenomAmount).
import { BttError } from "@btt/core";
import { formatDenomAmount, parseDenomAmount } from "@btt/sdk";

/** What the CLI needs of a denomination's metadata to read "5btt" or "5000000ubtt". */
export interface DenomUnits {
  denom: string;
  display: string;
  decimals: number;
}

// The number is in the SDK's grammar (no sign, exponent or leading zeros), so that only what it
// accepts gets past this pattern and a typo is reported against the whole word typed.
const AMOUNT_PATTERN = /^((?:0|[1-9][0-9]*)(?:\.([0-9]+))?)([a-zA-Z][a-zA-Z0-9/._-]*)$/;

/**
 * Parses an amount typed by a person: a whole or decimal number and a denomination, base
 * ("5000000ubtt") or display ("5btt", "0.25BTT", scaled by the denomination's decimals).
 * The digits are scaled exactly, never through a float (the SDK's parseDenomAmount).
 */
export function parseUserAmount(text: string, denoms: readonly DenomUnits[], what = "amount") {
  const m = AMOUNT_PATTERN.exec(text.trim());
  if (!m) {
    throw new BttError(
      "INVALID_AMOUNT",
      `${what} "${text}" must be a number followed by a denomination, like 5btt or 5000000ubtt`,
      { [what]: text },
    );
  }
  const [, number, fraction = "", unit] = m as unknown as [string, string, string | undefined, string];
  const base = denoms.find((d) => d.denom === unit);
  const display = base ? undefined : denoms.find((d) => d.display.toLowerCase() === unit.toLowerCase());
  const meta = base ?? display;
  if (!meta) {
    const known = denoms.flatMap((d) => [d.display.toLowerCase(), d.denom]).join(", ");
    throw new BttError(
      "UNKNOWN_DENOM",
      `${what} "${text}": unknown denomination "${unit}" (known: ${known})`,
      {
        [what]: text,
      },
    );
  }
  const decimals = base ? 0 : meta.decimals;
  // parseDenomAmount refuses this too; checked first so the message names the unit typed.
  if (fraction.length > decimals) {
    throw new BttError(
      "INVALID_AMOUNT",
      decimals === 0
        ? `${what} "${text}": ${unit} is a base unit, so the amount must be a whole number`
        : `${what} "${text}" has ${fraction.length} decimals; ${meta.display} has at most ${decimals}`,
      { [what]: text },
    );
  }
  const amount = parseDenomAmount(number, decimals, what);
  if (amount === 0n)
    throw new BttError("INVALID_AMOUNT", `${what} "${text}" must be positive`, { [what]: text });
  return { denom: meta.denom, amount };
}

/** "5000000" ubtt → "5 BTT" when the denomination has a display unit, else "5000000ubtt". */
export function formatAmount(amount: bigint, denom: string, denoms: readonly DenomUnits[]): string {
  const meta = denoms.find((d) => d.denom === denom);
  if (!meta || meta.decimals === 0) return `${amount}${denom}`;
  return `${formatDenomAmount(amount, meta.decimals)} ${meta.display}`;
}
