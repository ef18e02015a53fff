import { BttError } from "@btt/core";
import { ledgerEvent } from "../framework/events.ts";
import { CommittedMemo } from "../framework/memo.ts";
import type { Context } from "../framework/module.ts";
import type { KVStore } from "../framework/store.ts";
import { decodeAuthorisation, decodeCredential, encodeAuthorisation, encodeCredential } from "./codec.ts";
import {
  ALL_AUTHORISATIONS_PREFIX,
  ALL_CREDENTIALS_PREFIX,
  authorisationKey,
  credentialKey,
  decodeIds,
  encodeIds,
  NEXT_ID_KEY,
  readU64,
  subjectPrefix,
  subjectTypeKey,
  u64,
} from "./keys.ts";
import type { IdentityParamsStore } from "./params.ts";
import { type Credential, type CredentialType, type IssuerAuthorisation, kycLevel } from "./types.ts";

export interface ValidityQuery {
  /** Only a credential of this jurisdiction counts. */
  jurisdiction?: string;
  /** The time validity is judged at: block time in consensus code. */
  atMs: bigint;
  /** For type "kyc": the least level that counts. */
  minKycLevel?: number;
}

/** Why an account may issue (and perhaps delegate) a credential type. */
export interface IssuerStanding {
  /** A root authority named in the parameters. */
  root: boolean;
  /** May authorise others for this type. */
  delegable: boolean;
  /** Delegations between a root and this account (0 for a root). */
  depth: number;
}

export interface CredentialDraft {
  subject: string;
  type: CredentialType;
  jurisdiction: string;
  attributes: Record<string, string>;
  expiresAtMs: bigint;
}

/**
 * Credentials and issuer authorisations. Other modules ask one question through
 * `hasValidCredential` (or `validCredentials` when they need the credential itself).
 */
export class IdentityKeeper {
  private readonly memo = new CommittedMemo<readonly Credential[]>();

  constructor(readonly params: IdentityParamsStore) {}

  credential(kv: KVStore, id: bigint): Credential | undefined {
    const bytes = kv.get(credentialKey(id));
    return bytes ? decodeCredential(bytes) : undefined;
  }

  /**
   * The subject's credentials of `type` valid at `atMs`, in issue order. Valid = issued by then,
   * not revoked, not expired, and of the jurisdiction and KYC level asked. (The issuer's
   * authorisation was checked when it issued: a credential outlives its issuer's later loss of
   * authority, as a licence outlives the official who signed it; the authority revokes it.)
   */
  validCredentials(kv: KVStore, subject: string, type: CredentialType, q: ValidityQuery): Credential[] {
    return this.listed(kv, subject, type).filter((c) => isValid(c, q));
  }

  /** The subject's listed credentials of a type, in issue order (revoked ones are unlisted at once). */
  listed(kv: KVStore, subject: string, type: CredentialType): readonly Credential[] {
    return this.memo.get(kv, subject, type, () => {
      const out: Credential[] = [];
      for (const id of decodeIds(kv.get(subjectTypeKey(subject, type)))) {
        const bytes = kv.get(credentialKey(id));
        if (bytes) out.push(decodeCredential(bytes));
      }
      return out;
    });
  }

  validCredential(
    kv: KVStore,
    subject: string,
    type: CredentialType,
    q: ValidityQuery,
  ): Credential | undefined {
    return this.validCredentials(kv, subject, type, q)[0];
  }

  /** Does `subject` hold a valid credential of `type` (in `jurisdiction`, of `minKycLevel`) at `atMs`? */
  hasValidCredential(kv: KVStore, subject: string, type: CredentialType, q: ValidityQuery): boolean {
    return this.validCredential(kv, subject, type, q) !== undefined;
  }

  /** Every listed credential of a subject (not revoked; expired ones until the next issue prunes them). */
  credentialsOf(kv: KVStore, subject: string): Credential[] {
    const out: Credential[] = [];
    for (const [, ids] of kv.iterate(subjectPrefix(subject))) {
      for (const id of decodeIds(ids)) {
        const bytes = kv.get(credentialKey(id));
        if (bytes) out.push(decodeCredential(bytes));
      }
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  *allCredentials(kv: KVStore): Iterable<Credential> {
    for (const [, bytes] of kv.iterate(ALL_CREDENTIALS_PREFIX)) yield decodeCredential(bytes);
  }

  authorisation(kv: KVStore, type: CredentialType, grantee: string): IssuerAuthorisation | undefined {
    const bytes = kv.get(authorisationKey(type, grantee));
    return bytes ? decodeAuthorisation(bytes) : undefined;
  }

  *allAuthorisations(kv: KVStore): Iterable<IssuerAuthorisation> {
    for (const [, bytes] of kv.iterate(ALL_AUTHORISATIONS_PREFIX)) yield decodeAuthorisation(bytes);
  }

  nextId(kv: KVStore): bigint {
    const bytes = kv.get(NEXT_ID_KEY);
    return bytes ? readU64(bytes) : 1n;
  }

  setNextId(kv: KVStore, id: bigint): void {
    kv.set(NEXT_ID_KEY, u64(id));
  }

  /**
   * Whether `address` may issue credentials of `type` now: a root authority, or the holder of an
   * authorisation whose granter still stands and may delegate, up to the depth limit. Revoking a
   * link therefore withdraws everything delegated below it.
   */
  issuerStanding(kv: KVStore, address: string, type: CredentialType): IssuerStanding | undefined {
    const params = this.params.read(kv);
    const roots = params.authorities.get(type);
    let current = address;
    const chain: IssuerAuthorisation[] = [];
    for (let depth = 0; depth <= params.maxDelegationDepth; depth++) {
      if (roots?.has(current)) {
        // The grantee's own delegable flag applies; a root may always delegate.
        const delegable = chain.length === 0 ? true : chain[0]!.delegable;
        return { root: chain.length === 0, delegable, depth: chain.length };
      }
      const grant = this.authorisation(kv, type, current);
      if (!grant) return undefined;
      // Every link above the grantee must have been delegable.
      if (chain.length > 0 && !grant.delegable) return undefined;
      chain.push(grant);
      current = grant.grantedBy;
    }
    return undefined;
  }

  issue(ctx: Context, issuer: string, draft: CredentialDraft): Credential {
    if (!this.issuerStanding(ctx.kv, issuer, draft.type)) {
      throw new BttError("UNAUTHORIZED", `${issuer} is not authorised to issue ${draft.type} credentials`, {
        issuer,
        type: draft.type,
      });
    }
    const now = ctx.block.timeMs;
    if (draft.expiresAtMs <= now) {
      throw new BttError(
        "INVALID_MESSAGE",
        `expires_at_ms ${draft.expiresAtMs} is not after the block time ${now}`,
        {
          field: "expires_at_ms",
        },
      );
    }
    const listKey = subjectTypeKey(draft.subject, draft.type);
    // Expired credentials leave the subject's list as new ones arrive (they stay readable by id).
    const listed = decodeIds(ctx.kv.get(listKey)).filter((id) => {
      const c = this.credential(ctx.kv, id);
      return c !== undefined && c.expiresAtMs > now;
    });
    const limit = this.params.read(ctx.kv).maxCredentialsPerType;
    if (listed.length >= limit) {
      throw new BttError(
        "CONFLICT",
        `${draft.subject} already holds ${listed.length} ${draft.type} credentials, the most allowed`,
        { subject: draft.subject, type: draft.type, limit },
      );
    }
    const id = this.nextId(ctx.kv);
    this.setNextId(ctx.kv, id + 1n);
    const credential: Credential = { id, ...draft, issuedAtMs: now, issuer };
    this.store(ctx.kv, credential, [...listed, id]);
    ctx.emit(
      ledgerEvent("identity/credential_issued", {
        id: id.toString(),
        subject: draft.subject,
        type: draft.type,
        jurisdiction: draft.jurisdiction,
        issuer,
        expires_at_ms: draft.expiresAtMs.toString(),
      }),
    );
    return credential;
  }

  /** Writes a credential and the subject's list of its type (genesis import and issue). */
  store(kv: KVStore, credential: Credential, listed?: bigint[]): void {
    kv.set(credentialKey(credential.id), encodeCredential(credential));
    if (listed) kv.set(subjectTypeKey(credential.subject, credential.type), encodeIds(listed));
  }

  /** Lists a credential under its subject (genesis import). */
  list(kv: KVStore, credential: Credential): void {
    const key = subjectTypeKey(credential.subject, credential.type);
    kv.set(key, encodeIds([...decodeIds(kv.get(key)), credential.id]));
  }

  revoke(ctx: Context, sender: string, id: bigint, reason: string): Credential {
    const c = this.credential(ctx.kv, id);
    if (!c) throw new BttError("NOT_FOUND", `no credential ${id}`, { id: id.toString() });
    const isRoot = this.params.read(ctx.kv).authorities.get(c.type)?.has(sender) ?? false;
    if (c.issuer !== sender && !isRoot) {
      throw new BttError(
        "UNAUTHORIZED",
        `only the issuer of credential ${id} or a root ${c.type} authority may revoke it`,
        { id: id.toString(), issuer: c.issuer },
      );
    }
    if (c.revoked)
      throw new BttError("CONFLICT", `credential ${id} is already revoked`, { id: id.toString() });
    const revoked: Credential = { ...c, revoked: { atMs: ctx.block.timeMs, by: sender, reason } };
    this.store(ctx.kv, revoked);
    const listKey = subjectTypeKey(c.subject, c.type);
    const rest = decodeIds(ctx.kv.get(listKey)).filter((x) => x !== id);
    if (rest.length > 0) ctx.kv.set(listKey, encodeIds(rest));
    else ctx.kv.delete(listKey);
    ctx.emit(
      ledgerEvent("identity/credential_revoked", {
        id: id.toString(),
        subject: c.subject,
        type: c.type,
        revoked_by: sender,
        reason,
      }),
    );
    return revoked;
  }

  grantIssuer(
    ctx: Context,
    granter: string,
    grantee: string,
    type: CredentialType,
    delegable: boolean,
  ): void {
    const standing = this.issuerStanding(ctx.kv, granter, type);
    if (!standing?.delegable) {
      throw new BttError("UNAUTHORIZED", `${granter} may not authorise issuers of ${type}`, {
        granter,
        type,
      });
    }
    const maxDepth = this.params.read(ctx.kv).maxDelegationDepth;
    if (standing.depth + 1 > maxDepth) {
      throw new BttError("UNAUTHORIZED", `delegating ${type} further than depth ${maxDepth} is not allowed`, {
        granter,
        type,
        max_delegation_depth: maxDepth,
      });
    }
    if (grantee === granter) throw new BttError("INVALID_MESSAGE", "an account cannot authorise itself");
    if (this.authorisation(ctx.kv, type, grantee)) {
      throw new BttError("CONFLICT", `${grantee} already holds an authorisation for ${type}`, {
        grantee,
        type,
      });
    }
    this.putAuthorisation(ctx.kv, {
      grantee,
      type,
      delegable,
      grantedBy: granter,
      grantedAtMs: ctx.block.timeMs,
    });
    ctx.emit(
      ledgerEvent("identity/issuer_granted", {
        grantee,
        type,
        delegable: String(delegable),
        granted_by: granter,
      }),
    );
  }

  putAuthorisation(kv: KVStore, a: IssuerAuthorisation): void {
    kv.set(authorisationKey(a.type, a.grantee), encodeAuthorisation(a));
  }

  revokeIssuer(ctx: Context, sender: string, grantee: string, type: CredentialType): void {
    const grant = this.authorisation(ctx.kv, type, grantee);
    if (!grant)
      throw new BttError("NOT_FOUND", `${grantee} holds no authorisation for ${type}`, { grantee, type });
    const isRoot = this.params.read(ctx.kv).authorities.get(type)?.has(sender) ?? false;
    if (grant.grantedBy !== sender && !isRoot) {
      throw new BttError(
        "UNAUTHORIZED",
        `only ${grant.grantedBy}, who granted it, or a root ${type} authority may revoke it`,
        { grantee, type },
      );
    }
    ctx.kv.delete(authorisationKey(type, grantee));
    ctx.emit(ledgerEvent("identity/issuer_revoked", { grantee, type, revoked_by: sender }));
  }
}

export function isValid(c: Credential, q: ValidityQuery): boolean {
  if (c.revoked && c.revoked.atMs <= q.atMs) return false;
  if (c.issuedAtMs > q.atMs || c.expiresAtMs <= q.atMs) return false;
  if (q.jurisdiction !== undefined && c.jurisdiction !== q.jurisdiction) return false;
  if (q.minKycLevel !== undefined && kycLevel(c) < q.minKycLevel) return false;
  return true;
}
