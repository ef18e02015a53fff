// Selective disclosure, property-tested: any subset of any field list verifies against its root;
// any changed byte (value, salt, proof, root, index, count), an added or a dropped field fails;
// and a disclosure carries no hidden value or salt. One fixed vector pins the hashing rules.
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  commitFields,
  type Disclosure,
  disclosedFields,
  disclosureProblem,
  presentFields,
  verifyDisclosure,
} from "./disclosure.ts";

// Values carry a random marker so "the disclosure does not contain a hidden value" cannot pass or
// fail by accident (a one-letter value would be a substring of anything).
const fieldName = fc.stringMatching(/^[a-z][a-z0-9_.]{0,11}$/);
const fieldValue = fc.tuple(fc.string({ maxLength: 24 }), fc.uint8Array({ minLength: 12, maxLength: 12 }));
const fieldsArb = fc
  .uniqueArray(fc.tuple(fieldName, fieldValue), { minLength: 1, maxLength: 40, selector: ([n]) => n })
  .map((entries) =>
    Object.fromEntries(entries.map(([n, [v, mark]]) => [n, `${v}#${Buffer.from(mark).toString("hex")}`])),
  );
/** Fields plus a non-empty subset of their names. */
const caseArb = fieldsArb.chain((fields) =>
  fc.subarray(Object.keys(fields), { minLength: 1 }).map((names) => ({ fields, names })),
);

const clone = (d: Disclosure): Disclosure => JSON.parse(JSON.stringify(d));
const flipHex = (hex: string, at: number) => {
  const i = at % hex.length;
  const digit = (Number.parseInt(hex[i]!, 16) ^ 1).toString(16);
  return hex.slice(0, i) + digit + hex.slice(i + 1);
};

describe("selective disclosure", () => {
  test("any subset of any field list verifies, and shows exactly the chosen fields", () => {
    fc.assert(
      fc.property(caseArb, ({ fields, names }) => {
        const c = commitFields(fields);
        const d = presentFields(c, names);
        expect(disclosureProblem(d, c.root)).toBeUndefined();
        expect(verifyDisclosure(clone(d), c.root)).toBe(true);
        expect(disclosedFields(d)).toEqual(Object.fromEntries(names.map((n) => [n, fields[n]])));
      }),
      { numRuns: 300 },
    );
  });

  test("the proof is minimal: disclosing everything needs no hash, one field needs ⌈log2 n⌉ at most", () => {
    fc.assert(
      fc.property(fieldsArb, (fields) => {
        const c = commitFields(fields);
        const n = c.fields.length;
        expect(presentFields(c, Object.keys(fields)).proof).toEqual([]);
        const one = presentFields(c, [c.fields[0]!.name]);
        expect(one.proof.length).toBeLessThanOrEqual(Math.ceil(Math.log2(n)));
      }),
    );
  });

  test("flipping any hex digit of any value, salt, proof hash or root fails", () => {
    fc.assert(
      fc.property(
        caseArb,
        fc.nat(),
        fc.nat(),
        fc.constantFrom("value", "salt", "proof", "root"),
        (k, pick, at, part) => {
          const c = commitFields(k.fields);
          const d = clone(presentFields(c, k.names));
          const f = d.disclosed[pick % d.disclosed.length]!;
          if (part === "value") {
            const bytes = new TextEncoder().encode(f.value);
            bytes[at % bytes.length]! ^= 1 << (at % 8);
            f.value = new TextDecoder().decode(bytes);
            fc.pre(f.value !== c.fields[f.index]!.value); // a flip into invalid UTF-8 may decode back
          } else if (part === "salt") f.salt = flipHex(f.salt, at);
          else if (part === "proof") {
            fc.pre(d.proof.length > 0);
            const j = pick % d.proof.length;
            d.proof[j] = flipHex(d.proof[j]!, at);
          } else d.root = flipHex(d.root, at);
          expect(verifyDisclosure(d, c.root)).toBe(false);
          // Nor does a forged root help: the fields no longer rebuild it.
          expect(verifyDisclosure(d, d.root)).toBe(false);
        },
      ),
      { numRuns: 400 },
    );
  });

  test("adding a hidden field, dropping a shown one, or moving an index fails", () => {
    fc.assert(
      fc.property(caseArb, fc.nat(), (k, pick) => {
        const c = commitFields(k.fields);
        const d = presentFields(c, k.names);
        const hidden = c.fields.map((f, index) => ({ ...f, index })).filter((f) => !k.names.includes(f.name));
        if (hidden.length > 0) {
          // The true field with its true salt, added without changing the proof.
          const extra = hidden[pick % hidden.length]!;
          const added = clone(d);
          added.disclosed = [...added.disclosed, extra].sort((a, b) => a.index - b.index);
          expect(verifyDisclosure(added, c.root)).toBe(false);
        }
        if (d.disclosed.length > 1) {
          const dropped = clone(d);
          dropped.disclosed.splice(pick % dropped.disclosed.length, 1);
          expect(verifyDisclosure(dropped, c.root)).toBe(false);
        }
        const moved = clone(d);
        moved.leaf_count += 1;
        expect(verifyDisclosure(moved, c.root)).toBe(false);
        const extraHash = clone(d);
        extraHash.proof.push("00".repeat(32));
        expect(verifyDisclosure(extraHash, c.root)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  test("a disclosure carries no hidden value or salt", () => {
    fc.assert(
      fc.property(caseArb, ({ fields, names }) => {
        const c = commitFields(fields);
        const text = JSON.stringify(presentFields(c, names));
        for (const f of c.fields) {
          if (names.includes(f.name)) continue;
          expect(text).not.toContain(JSON.stringify(f.value).slice(1, -1));
          expect(text).not.toContain(f.salt);
        }
      }),
      { numRuns: 300 },
    );
  });

  test("salts are fresh: the same fields commit to different roots", () => {
    const fields = { diagnosis: "K02.1", tooth: "36" };
    expect(commitFields(fields).root).not.toBe(commitFields(fields).root);
  });

  test("a fixed vector: leaves, inner nodes, the odd node moving up, the count in the root", () => {
    const salt = (b: number) => new Uint8Array(32).fill(b);
    const c = commitFields({ b: "2", a: "1", c: "3" }, { a: salt(1), b: salt(2), c: salt(3) });
    const h = (...parts: Array<string | Uint8Array>) => {
      const hash = createHash("sha256");
      for (const p of parts) hash.update(p);
      return hash.digest();
    };
    const leaf = (n: string, v: string, s: Uint8Array) => h("btt/disclosure/leaf/v1\0", n, "\0", v, s);
    const [la, lb, lc] = [leaf("a", "1", salt(1)), leaf("b", "2", salt(2)), leaf("c", "3", salt(3))];
    const top = h("btt/disclosure/node/v1\0", h("btt/disclosure/node/v1\0", la, lb), lc);
    const root = h("btt/disclosure/root/v1\0", Uint8Array.of(0, 0, 0, 3), top);
    expect(c.fields.map((f) => f.name)).toEqual(["a", "b", "c"]);
    expect(c.leaves).toEqual([la, lb, lc].map((x) => x.toString("hex")));
    expect(c.root).toBe(root.toString("hex"));
    // Showing c alone needs only the (a,b) node.
    const d = presentFields(c, ["c"]);
    expect(d.proof).toEqual([h("btt/disclosure/node/v1\0", la, lb).toString("hex")]);
    expect(verifyDisclosure(d, c.root)).toBe(true);
  });

  test("bad input is refused with a reason", () => {
    expect(() => commitFields({})).toThrow(/1 to/);
    expect(() => commitFields({ "a\0b": "x" })).toThrow(/NUL/);
    const c = commitFields({ a: "1", b: "2" });
    expect(() => presentFields(c, ["zz"])).toThrow(/no committed field/);
    expect(() => presentFields(c, [])).toThrow(/at least one/);
    const d = presentFields(c, ["a"]);
    expect(disclosureProblem(d, "00".repeat(32))).toMatch(/not the committed root/);
    expect(verifyDisclosure({ ...d, version: 2 } as unknown as Disclosure, c.root)).toBe(false);
    expect(verifyDisclosure(null as unknown as Disclosure, c.root)).toBe(false);
  });
});
