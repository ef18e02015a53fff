#!/usr/bin/env node
// The npm bin: loads tsx's ESM hooks so the TypeScript entry runs without a build step.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
