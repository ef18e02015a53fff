import { describeFailure } from "./errors.ts";
import { rootCommand } from "./root.ts";
import { dispatch } from "./router.ts";

/**
 * Runs one `btt` command line and returns its exit status: 0, or the status of the one line
 * `btt: <reason>` it printed on stderr. Long-running commands (start, watch) resolve once
 * started or finished; what keeps the process alive is theirs.
 */
export async function runCli(argv: string[]): Promise<number> {
  try {
    await dispatch(rootCommand, argv, (text) => console.log(text));
    return 0;
  } catch (err) {
    const { line, status } = describeFailure(err);
    console.error(line);
    return status;
  }
}
