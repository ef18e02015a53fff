import { type ParseArgsConfig, parseArgs } from "node:util";
import { UsageError } from "./errors.ts";

/** One option of a command, as node:util parseArgs takes it, plus the line its help prints. */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  /** Placeholder in the help, e.g. "<dir>". */
  value?: string;
  description: string;
  default?: string | boolean;
}

export interface ArgSpec {
  name: string;
  description: string;
  optional?: boolean;
  /** The last argument only: it takes every remaining positional (at least one unless optional). */
  variadic?: boolean;
}

export type ParsedValues = Record<string, string | boolean | undefined>;

export interface Invocation {
  /** "btt keys add": the path that reached the command, for messages. */
  path: string;
  args: string[];
  values: ParsedValues;
}

/** A command: a group of subcommands, or a leaf with a run function. */
export interface Command {
  name: string;
  summary: string;
  /** A paragraph the help prints under the usage line. */
  details?: string;
  args?: ArgSpec[];
  options?: Record<string, OptionSpec>;
  subcommands?: Command[];
  run?: (inv: Invocation) => Promise<void>;
}

/** Options every command accepts. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  home: { type: "string", value: "<dir>", description: "home directory (default: $BTT_HOME or ~/.btt)" },
  json: { type: "boolean", description: "machine-readable JSON output" },
  help: { type: "boolean", short: "h", description: "show this help" },
};

export interface Resolved {
  command: Command;
  path: string[];
  rest: string[];
}

/**
 * Walks the leading words of argv down the command tree. Options may come before the
 * subcommand names (`btt --home x keys list`), so the walk skips them and their values.
 */
export function resolve(root: Command, argv: string[]): Resolved {
  let command = root;
  const path = [root.name];
  const rest: string[] = [];
  let descending = true;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === "--") {
      rest.push(...argv.slice(i));
      break;
    }
    if (/^-[0-9.]/.test(token)) {
      throw new UsageError(`"${token}" is negative: amounts, heights and counts cannot be`);
    }
    if (token.startsWith("-")) {
      rest.push(token);
      const name = token.replace(/^--?/, "");
      if (!token.includes("=") && takesValue(command, name) && i + 1 < argv.length) rest.push(argv[++i]!);
      continue;
    }
    const sub = descending ? command.subcommands?.find((c) => c.name === token) : undefined;
    if (sub) {
      command = sub;
      path.push(sub.name);
      continue;
    }
    if (descending && command.subcommands && !command.run) {
      throw new UsageError(`unknown command "${token}" for ${path.join(" ")}; see ${path.join(" ")} --help`);
    }
    descending = false;
    rest.push(token);
  }
  return { command, path, rest };
}

function takesValue(command: Command, name: string): boolean {
  const all = { ...GLOBAL_OPTIONS, ...collectOptions(command) };
  const spec = all[name] ?? Object.entries(all).find(([, s]) => s.short === name)?.[1];
  return spec?.type === "string";
}

// A group's own options plus every descendant's, so a value-taking option before the
// subcommand name (`btt --node URL query block`) is skipped with its value.
function collectOptions(command: Command): Record<string, OptionSpec> {
  const out: Record<string, OptionSpec> = { ...command.options };
  for (const sub of command.subcommands ?? []) Object.assign(out, collectOptions(sub));
  return out;
}

/** Parses argv for the command it names and runs it; a group without a subcommand prints its help. */
export async function dispatch(root: Command, argv: string[], print: (text: string) => void): Promise<void> {
  const { command, path, rest } = resolve(root, argv);
  const specs = { ...GLOBAL_OPTIONS, ...command.options };
  const where = path.join(" ");
  let parsed: { values: ParsedValues; positionals: string[] };
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: Object.fromEntries(
        Object.entries(specs).map(([name, s]) => [
          name,
          {
            type: s.type,
            ...(s.short ? { short: s.short } : {}),
            ...(s.default !== undefined ? { default: s.default } : {}),
          },
        ]),
      ) as ParseArgsConfig["options"],
    }) as { values: ParsedValues; positionals: string[] };
  } catch (err) {
    throw new UsageError(
      `${lowerFirst(firstSentence((err as Error).message))} for ${where}; see ${where} --help`,
    );
  }
  if (parsed.values.help || !command.run) {
    print(helpText(command, path));
    return;
  }
  const argSpecs = command.args ?? [];
  const required = argSpecs.filter((a) => !a.optional).length;
  if (parsed.positionals.length < required) {
    const missing = argSpecs[parsed.positionals.length]!;
    throw new UsageError(`${where} needs <${missing.name}>; see ${where} --help`);
  }
  if (parsed.positionals.length > argSpecs.length && !argSpecs.at(-1)?.variadic) {
    const extra = parsed.positionals[argSpecs.length];
    throw new UsageError(`unexpected argument "${extra}" for ${where}; see ${where} --help`);
  }
  await command.run({ path: where, args: parsed.positionals, values: parsed.values });
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

function firstSentence(message: string): string {
  return message.split(/\.\s|\n/)[0]!.replace(/\.$/, "");
}

export function helpText(command: Command, path: string[]): string {
  const where = path.join(" ");
  const lines: string[] = [];
  if (command.subcommands?.length && !command.run) {
    lines.push(`${where}: ${command.summary}`, "", `Usage: ${where} <command> [options]`);
  } else {
    const args = (command.args ?? [])
      .map((a) => (a.optional ? `[${a.name}]` : `<${a.name}>`) + (a.variadic ? "..." : ""))
      .join(" ");
    lines.push(`${where}: ${command.summary}`, "", `Usage: ${where}${args ? ` ${args}` : ""} [options]`);
  }
  if (command.details) lines.push("", command.details);
  if (command.subcommands?.length) {
    lines.push("", "Commands:");
    const width = Math.max(...command.subcommands.map((c) => c.name.length)) + 2;
    for (const c of command.subcommands) lines.push(`  ${c.name.padEnd(width)}${c.summary}`);
  }
  if (command.args?.length) {
    lines.push("", "Arguments:");
    const width = Math.max(...command.args.map((a) => a.name.length)) + 2;
    for (const a of command.args) lines.push(`  ${a.name.padEnd(width)}${a.description}`);
  }
  const options = { ...command.options, ...GLOBAL_OPTIONS };
  const labels = Object.entries(options).map(([name, s]) => {
    const flag = `${s.short ? `-${s.short}, ` : "    "}--${name}${s.value ? ` ${s.value}` : ""}`;
    return [flag, s.description] as const;
  });
  const width = Math.max(...labels.map(([flag]) => flag.length)) + 2;
  lines.push("", "Options:", ...labels.map(([flag, d]) => `  ${flag.padEnd(width)}${d}`));
  if (command.subcommands?.length) lines.push("", `Run "${where} <command> --help" for a command's options.`);
  return lines.join("\n");
}
