// Builds the addon with cargo at `npm install`. Without a Rust toolchain the build is skipped and
// the node verifies Ed25519 in JavaScript under the same ZIP-215 rules, only more slowly.
import { spawnSync } from "node:child_process";
import { copyFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const warn = (msg) => console.warn(`@btt/ed25519-native: ${msg}; Ed25519 is verified in JavaScript (slower)`);

if (process.env.BTT_SKIP_NATIVE) {
  warn("BTT_SKIP_NATIVE is set, not building");
} else {
  const cargo = spawnSync("cargo", ["build", "--release", "--locked", "--quiet"], {
    cwd: here,
    stdio: "inherit",
  });
  if (cargo.error) warn(`cargo not found (${cargo.error.message})`);
  else if (cargo.status !== 0) warn(`cargo build failed with exit code ${cargo.status}`);
  else copyFileSync(join(here, "target", "release", "libbtt_ed25519.so"), join(here, "btt_ed25519.node"));
}
