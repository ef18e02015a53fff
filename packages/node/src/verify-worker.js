// Signature verification worker (see verify-pool.ts): each message is a packed batch of checks
// (format in verify-batch.js), answered with one result byte per check. Plain JavaScript on
// purpose: worker threads run without the TypeScript loader, so this file and what it imports
// must be JavaScript.
import { parentPort } from "node:worker_threads";
import { verifyPacked } from "./verify-batch.js";

if (!parentPort) throw new Error("verify-worker.js must run in a worker thread");
const port = parentPort;

port.on("message", (/** @type {{ id: number; buffer: ArrayBuffer }} */ msg) => {
  const results = verifyPacked(msg.buffer);
  port.postMessage({ id: msg.id, results }, [results]);
});
