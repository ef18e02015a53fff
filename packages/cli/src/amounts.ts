import { BttError, MAX_AMOUNT } from "@btt/core";

/** What the CLI needs of a denomination's metadata to read "5btt" or "5000000ubtt". */
export interface DenomUnits {
  denom: string;
  display: string;
  decimals: number;
}

const AMOUNT_PATTERN = /^([0-9]+)(?:\.([0-9]+))?([a-zA-Z][a-zA-Z0-9/._-]*)$/;

/**
 * Parses an amount typed by a person: a whole or decimal number and a denomination, base
 * ("5000000ubtt") or display ("5btt", "0.25BTT", scaled by the denomination's decimals).
 * Never goes through a float: the digits are scaled as text.
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
  const [, whole, fraction = "", unit] = m as unknown as [string, string, string | undefined, string];
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
  if (fraction.length > decimals) {
    throw new BttError(
      "INVALID_AMOUNT",
      decimals === 0
        ? `${what} "${text}": ${unit} is a base unit, so the amount must be a whole number`
        : `${what} "${text}" has ${fraction.length} decimals; ${meta.display} has at most ${decimals}`,
      { [what]: text },
    );
  }
  const amount = BigInt(whole + fraction.padEnd(decimals, "0"));
  if (amount === 0n)
    throw new BttError("INVALID_AMOUNT", `${what} "${text}" must be positive`, { [what]: text });
  if (amount > MAX_AMOUNT)
    throw new BttError("INVALID_AMOUNT", `${what} "${text}" is too large`, { [what]: text });
  return { denom: meta.denom, amount };
}

/** "5000000" ubtt → "5 BTT" when the denomination has a display unit, else "5000000ubtt". */
export function formatAmount(amount: bigint, denom: string, denoms: readonly DenomUnits[]): string {
  const meta = denoms.find((d) => d.denom === denom);
  if (!meta || meta.decimals === 0) return `${amount}${denom}`;
  const digits = amount.toString().padStart(meta.decimals + 1, "0");
  const whole = digits.slice(0, -meta.decimals);
  const fraction = digits.slice(-meta.decimals).replace(/0+$/, "");
  return `${whole}${fraction ? `.${fraction}` : ""} ${meta.display}`;
}
