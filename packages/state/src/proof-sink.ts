// Where the reader puts a proof's steps as it walks a key's path: into MerkleProof objects, or
// straight into the binary form of encodeProof (what the API and ABCI queries send). The second
// skips one Buffer per sibling and the copy into the encoding: a balance query's proof has dozens.
import { MAX_PROOF_DEPTH, type ProofStep, type ProofTerminal } from "@btt/core";

export interface ProofSink {
  /** A step with this bitmap; its siblings follow, in nibble order. */
  step(bitmap: number): void;
  /** A sibling hash: the 32 bytes of `bytes` at `offset`. */
  sibling(bytes: Uint8Array, offset: number): void;
  /** A sibling hash as a latin1 string (one char per byte). */
  siblingHash(latin1: string): void;
}

/** Collects the steps as ProofStep objects (MerkleProof.steps). */
export class StepsSink implements ProofSink {
  readonly steps: ProofStep[] = [];
  private current: Uint8Array[] = [];

  step(bitmap: number): void {
    this.current = [];
    this.steps.push({ bitmap, siblings: this.current });
  }

  sibling(bytes: Uint8Array, offset: number): void {
    this.current.push(Buffer.from(bytes.subarray(offset, offset + 32)));
  }

  siblingHash(latin1: string): void {
    this.current.push(Buffer.from(latin1, "latin1"));
  }
}

// Terminal codes of the binary form (see @btt/core encodeProof).
const T_KEY = 0;
const T_EMPTY = 1;
const T_OTHER = 2;
// The longest proof: every step a full node (a bitmap and 15 siblings), and an "other" terminal.
const MAX_ENCODED = 2 + MAX_PROOF_DEPTH * (2 + 15 * 32) + 64;
const scratch = Buffer.allocUnsafe(MAX_ENCODED);

/**
 * Writes the binary form of encodeProof as the steps come: code and step count first (filled in
 * by `finish`), then per step the 16-bit bitmap and its siblings, then an "other" terminal's hashes.
 * One writer at a time (it shares a scratch buffer); `finish` returns a copy.
 */
export class EncodedProofSink implements ProofSink {
  private pos = 2;
  private steps = 0;

  step(bitmap: number): void {
    if (this.steps === MAX_PROOF_DEPTH) throw new RangeError("proof deeper than MAX_PROOF_DEPTH");
    scratch[this.pos] = bitmap >>> 8;
    scratch[this.pos + 1] = bitmap & 0xff;
    this.pos += 2;
    this.steps++;
  }

  sibling(bytes: Uint8Array, offset: number): void {
    const at = this.pos;
    for (let i = 0; i < 32; i++) scratch[at + i] = bytes[offset + i]!;
    this.pos = at + 32;
  }

  siblingHash(latin1: string): void {
    scratch.write(latin1, this.pos, 32, "latin1");
    this.pos += 32;
  }

  finish(terminal: ProofTerminal): Uint8Array {
    scratch[0] = terminal.type === "key" ? T_KEY : terminal.type === "empty" ? T_EMPTY : T_OTHER;
    scratch[1] = this.steps;
    if (terminal.type === "other") {
      scratch.set(terminal.keyHash, this.pos);
      scratch.set(terminal.valueHash, this.pos + 32);
      this.pos += 64;
    }
    return new Uint8Array(scratch.subarray(0, this.pos));
  }
}
