import { BTT_DENOM } from "@btt/modules";
import type { BttClient } from "@btt/sdk";
import type { DenomUnits } from "../amounts.ts";

/** The node's denominations (for "5btt" → ubtt), or BTT's alone if the node does not list them. */
export async function denomsOf(client: BttClient): Promise<DenomUnits[]> {
  const r = (await client.denoms()) as { denoms?: DenomUnits[] };
  return Array.isArray(r.denoms) && r.denoms.length > 0 ? r.denoms : [BTT_DENOM];
}
