import { BttError, bytesEqual, type Msg } from "@btt/core";
import { fromBinary, type Message, toBinary } from "@bufbuild/protobuf";
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
    let value: Message;
    try {
      value = fromBinary(handler.schema, msg.value, { readUnknownFields: false });
    } catch (err) {
      throw new BttError(
        "TX_MALFORMED",
        `messages[${index}] (${msg.type}) does not decode: ${(err as Error).message}`,
      );
    }
    if (!bytesEqual(toBinary(handler.schema, value), msg.value)) {
      throw new BttError("TX_MALFORMED", `messages[${index}] (${msg.type}) is not in canonical encoding`);
    }
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
}
