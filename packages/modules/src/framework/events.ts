/** An event: what happened, for indexers, WebSocket subscribers and tx results. */
export interface LedgerEvent {
  /** `<module>/<what>`, e.g. "bank/transfer". */
  type: string;
  attributes: Array<{ key: string; value: string }>;
}

/** Builds an event from a record of attributes, keeping their order. */
export function ledgerEvent(type: string, attributes: Record<string, string>): LedgerEvent {
  return { type, attributes: Object.entries(attributes).map(([key, value]) => ({ key, value })) };
}

export type EventSink = (event: LedgerEvent) => void;
