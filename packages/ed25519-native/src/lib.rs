//! Ed25519 signature verification for the BTT node under the ZIP-215 rules (the rules CometBFT
//! validators use), with batch verification that always agrees with single verification.
//!
//! A call passes one byte buffer and a table of offsets into it, four u32 per signature:
//! key offset (32 bytes), signature offset (64 bytes), message start, message end. The verify
//! worker hands over the buffer it received, so no key, signature or message is copied.
use ed25519_consensus::{batch, Signature, VerificationKey, VerificationKeyBytes};
use napi::bindgen_prelude::{Buffer, Uint32Array};
use napi::{Error, Result, Status};
use napi_derive::napi;
use rand_core::OsRng;

struct Item<'a> {
    key: [u8; 32],
    signature: Signature,
    message: &'a [u8],
}

fn items<'a>(data: &'a [u8], table: &[u32]) -> Result<Vec<Item<'a>>> {
    let bad = |what: &str| Error::new(Status::InvalidArg, format!("verify table: {what}"));
    if table.len() % 4 != 0 {
        return Err(bad("length is not a multiple of 4"));
    }
    let slice = |start: u32, end: usize| data.get(start as usize..end).ok_or_else(|| bad("offset out of range"));
    table
        .chunks_exact(4)
        .map(|e| {
            let key: [u8; 32] = slice(e[0], e[0] as usize + 32)?.try_into().unwrap();
            let sig: [u8; 64] = slice(e[1], e[1] as usize + 64)?.try_into().unwrap();
            if e[2] > e[3] {
                return Err(bad("message range ends before it starts"));
            }
            let message = slice(e[2], e[3] as usize)?;
            Ok(Item { key, signature: Signature::from(sig), message })
        })
        .collect()
}

/// True when every signature in the table is valid. One invalid signature (or key) makes the
/// batch false; the caller then asks `verify_each` which ones. The random coefficients only
/// make forging a passing batch infeasible; the answer itself is deterministic.
#[napi]
pub fn verify_batch(data: Buffer, table: Uint32Array) -> Result<bool> {
    let mut verifier = batch::Verifier::new();
    for item in items(&data, &table)? {
        verifier.queue((VerificationKeyBytes::from(item.key), item.signature, item.message));
    }
    Ok(verifier.verify(OsRng).is_ok())
}

/// One byte per signature in the table: 1 valid, 0 invalid.
#[napi]
pub fn verify_each(data: Buffer, table: Uint32Array) -> Result<Buffer> {
    let results: Vec<u8> = items(&data, &table)?
        .iter()
        .map(|item| match VerificationKey::try_from(item.key) {
            Ok(key) => key.verify(&item.signature, item.message).is_ok() as u8,
            Err(_) => 0,
        })
        .collect();
    Ok(results.into())
}
