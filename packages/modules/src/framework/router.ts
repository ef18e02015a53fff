import { BttError, type Msg } from "@btt/core";
import { fromBinary, type Message } from "@bufbuild/protobuf";
import type { MessageType, Module } from "./module.ts";

/** A tx message decoded and validated, ready to execute. */
export interface DecodedMessage {
  readonly handler: MessageType;
  readonly value: Message;
}

/** Finds each message's module by its type, decodes it canonically and runs its stateless checks. */
export class MessageRouter {
  private readonly handlers = new Map<string, MessageType>();

  constructor(modules: readonly Module[]) {
    for (const module of modules) {
      for (const handler of module.messages) {
        if (!handler.type.startsWith(`${module.name}/`)) {
          throw new Error(`message type ${handler.type} must start with its module name ${module.name}/`);
        }
        if (this.handlers.has(handler.type)) throw new Error(`message type ${handler.type} registered twice`);
        this.handlers.set(handler.type, handler);
      }
    }
  }

  get types(): string[] {
    return [...this.handlers.keys()].sort();
  }

  decode(msg: Msg, sender: string, index: number): DecodedMessage {
    const handler = this.handlers.get(msg.type);
    if (!handler) {
      throw new BttError("UNKNOWN_MESSAGE", `messages[${index}] has unknown type "${msg.type}"`, {
        index,
        type: msg.type,
      });
    }
    const value = handler.decodeCanonical?.(msg.value) ?? this.decodeReflective(handler, msg, index);
    try {
      handler.validate(value, sender);
    } catch (err) {
      if (err instanceof BttError) {
        throw new BttError(err.code, `messages[${index}] (${msg.type}): ${err.message}`, {
          index,
          ...err.details,
        });
      }
      throw err;
    }
    return { handler, value };
  }

  /** Any encoding protobuf accepts, with no field the schema does not define. */
  private decodeReflective(handler: MessageType, msg: Msg, index: number): Message {
    let value: Message;
    try {
      value = fromBinary(handler.schema, msg.value);
    } catch (err) {
      throw new BttError(
        "TX_MALFORMED",
        `messages[${index}] (${msg.type}) does not decode: ${(err as Error).message}`,
      );
    }
    // Fields this node does not know could carry meaning a newer version gives them: refuse
    // them rather than silently drop them. (The envelope's canonical form already fixes the
    // tx hash; an inner encoding only its signer can choose needs no further canonical check.)
    if (hasUnknownFields(value)) {
      throw new BttError(
        "TX_MALFORMED",
        `messages[${index}] (${msg.type}) has fields this chain does not know`,
      );
    }
    return value;
  }
}

/** True when a decoded message, or any message inside it, kept fields its schema does not define. */
function hasUnknownFields(value: unknown): boolean {
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return false;
  if (Array.isArray(value)) return value.some(hasUnknownFields);
  const record = value as Record<string, unknown> & { $unknown?: unknown[] };
  if (record.$unknown && record.$unknown.length > 0) return true;
  for (const key in record) {
    if (key !== "$typeName" && key !== "$unknown" && hasUnknownFields(record[key])) return true;
  }
  return false;
}
