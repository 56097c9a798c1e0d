//! Content-addressed, delta-compressed document storage.
//!
//! A blob is the raw bytes of a document as published, keyed by their
//! SHA-256, so content that comes back after a revert is stored once.
//!
//! Successive versions of an API description differ by a few lines, so a
//! blob is normally stored as zstd output that used another version of the
//! same watch as its dictionary: only the difference costs space. Reading
//! a blob decompresses its chain of bases first, so chains must stay short.
//! The base of version `i` (counting from 0) is chosen like a skip list in
//! base `radix`: `i` minus the place value of its lowest non-zero digit.
//! With radix 16 most versions delta against their predecessor, every 16th
//! against the one 16 back, every 256th against the one 256 back, and a
//! chain is at most the sum of `i`'s digits long (30 for 4095 versions)
//! instead of `i`. On top of that, `max_depth` and `max_chain_bytes` force a
//! full snapshot whenever a read would otherwise decompress too much.

use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::{Result, Store, StoreError};

/// How new blobs are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompressionOptions {
    /// zstd level for documents up to `large_size`.
    pub level: i32,
    /// zstd level above it, where the slow levels cost seconds.
    pub large_level: i32,
    pub large_size: usize,
    /// The skip-delta radix (see the module docs); 0 or 1 turns deltas off.
    pub radix: u64,
    /// A blob whose base chain is this long gets stored whole instead.
    pub max_depth: i64,
    /// Likewise when a read would decompress more than this many bytes.
    pub max_chain_bytes: i64,
}

impl Default for CompressionOptions {
    fn default() -> Self {
        CompressionOptions {
            level: 19,
            large_level: 9,
            large_size: 4 << 20,
            radix: 16,
            max_depth: 40,
            max_chain_bytes: 48 << 20,
        }
    }
}

/// Which earlier version (by 0-based index) version `index` should be
/// stored against, or `None` for a full snapshot.
pub fn skip_base(index: u64, radix: u64) -> Option<u64> {
    if index == 0 || radix < 2 {
        return None;
    }
    let mut place = 1u64;
    while (index / place).is_multiple_of(radix) {
        place = place.saturating_mul(radix);
    }
    Some(index - place)
}

pub fn sha256(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Totals over the blob table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct BlobStats {
    pub blobs: i64,
    pub snapshots: i64,
    pub raw_bytes: i64,
    pub stored_bytes: i64,
    pub max_depth: i64,
}

struct BaseInfo {
    id: i64,
    depth: i64,
    chain_size: i64,
}

impl Store {
    /// Stores `content` unless a blob with the same hash exists, using the
    /// blob `base` (when given and usable) as its dictionary. Returns the
    /// blob's id. Must run inside the caller's write transaction.
    pub(crate) fn put_blob(&self, content: &[u8], base: Option<i64>) -> Result<i64> {
        let hash = Sha256::digest(content).to_vec();
        let existing: Option<i64> = self
            .conn
            .query_row("SELECT id FROM blobs WHERE hash = ?1", [&hash], |r| {
                r.get(0)
            })
            .optional()?;
        if let Some(id) = existing {
            return Ok(id);
        }
        let opts = self.compression;
        let level = if content.len() > opts.large_size {
            opts.large_level
        } else {
            opts.level
        };
        let base = match base {
            Some(b) => self.base_info(b)?.filter(|info| {
                info.depth < opts.max_depth
                    && info.chain_size + content.len() as i64 <= opts.max_chain_bytes
            }),
            None => None,
        };
        let full = |level| compress(content, None, level);
        let (data, base) = match base {
            Some(info) => {
                let dict = self.read_blob(info.id)?;
                let delta = compress(content, Some(&dict), level)?;
                // A delta against a very different base can lose to a plain
                // snapshot; only then is the second compression worth it.
                if delta.len() > content.len() / 8 {
                    let whole = full(level)?;
                    if whole.len() <= delta.len() {
                        (whole, None)
                    } else {
                        (delta, Some(info))
                    }
                } else {
                    (delta, Some(info))
                }
            }
            None => (full(level)?, None),
        };
        let (base_id, depth, chain_size) = match &base {
            Some(info) => (
                Some(info.id),
                info.depth + 1,
                info.chain_size + content.len() as i64,
            ),
            None => (None, 0, content.len() as i64),
        };
        self.conn.execute(
            "INSERT INTO blobs (hash, size, base, depth, chain_size, data)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![hash, content.len() as i64, base_id, depth, chain_size, data],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    fn base_info(&self, id: i64) -> Result<Option<BaseInfo>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, depth, chain_size FROM blobs WHERE id = ?1",
                [id],
                |r| {
                    Ok(BaseInfo {
                        id: r.get(0)?,
                        depth: r.get(1)?,
                        chain_size: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// Reads a blob back, decompressing its chain of bases.
    pub fn read_blob(&self, id: i64) -> Result<Vec<u8>> {
        // One query fetches the whole chain, the full snapshot first.
        let mut stmt = self.conn.prepare_cached(
            "WITH RECURSIVE chain(id, base, size, data, step) AS (
                 SELECT id, base, size, data, 0 FROM blobs WHERE id = ?1
                 UNION ALL
                 SELECT b.id, b.base, b.size, b.data, c.step + 1
                 FROM blobs b JOIN chain c ON b.id = c.base
                 WHERE c.step < 10000
             )
             SELECT id, base, size, data FROM chain ORDER BY step DESC",
        )?;
        let chain: Vec<(i64, Option<i64>, i64, Vec<u8>)> = stmt
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let corrupt = |blob: i64, reason: String| StoreError::CorruptBlob { blob, reason };
        if chain.is_empty() {
            return Err(corrupt(id, "missing".into()));
        }
        if chain.first().is_some_and(|(_, base, _, _)| base.is_some()) {
            return Err(corrupt(id, "its delta base is missing".into()));
        }
        let mut current: Option<Vec<u8>> = None;
        for (blob, _, size, data) in chain {
            let size = usize::try_from(size).map_err(|_| corrupt(blob, "bad size".into()))?;
            let out = decompress(&data, current.as_deref(), size)
                .map_err(|e| corrupt(blob, e.to_string()))?;
            if out.len() != size {
                return Err(corrupt(
                    blob,
                    format!("decompressed to {} bytes, expected {size}", out.len()),
                ));
            }
            current = Some(out);
        }
        current.ok_or_else(|| corrupt(id, "empty chain".into()))
    }

    /// Reads a blob and checks it against the hash it is stored under.
    pub fn verify_blob(&self, id: i64) -> Result<()> {
        let content = self.read_blob(id)?;
        let hash: Vec<u8> =
            self.conn
                .query_row("SELECT hash FROM blobs WHERE id = ?1", [id], |r| r.get(0))?;
        if Sha256::digest(&content).as_slice() != hash.as_slice() {
            return Err(StoreError::CorruptBlob {
                blob: id,
                reason: "content does not match its SHA-256".into(),
            });
        }
        Ok(())
    }

    /// Deletes blobs no version needs, directly or as a delta base.
    pub(crate) fn collect_garbage(&self) -> Result<usize> {
        let mut removed = 0;
        loop {
            let n = self.conn.execute(
                "DELETE FROM blobs
                 WHERE id NOT IN (SELECT blob_id FROM versions)
                   AND id NOT IN (SELECT base FROM blobs WHERE base IS NOT NULL)",
                [],
            )?;
            if n == 0 {
                return Ok(removed);
            }
            removed += n;
        }
    }

    pub fn blob_stats(&self) -> Result<BlobStats> {
        Ok(self.conn.query_row(
            "SELECT count(*), coalesce(sum(base IS NULL), 0), coalesce(sum(size), 0),
                    coalesce(sum(length(data)), 0), coalesce(max(depth), 0)
             FROM blobs",
            [],
            |r| {
                Ok(BlobStats {
                    blobs: r.get(0)?,
                    snapshots: r.get(1)?,
                    raw_bytes: r.get(2)?,
                    stored_bytes: r.get(3)?,
                    max_depth: r.get(4)?,
                })
            },
        )?)
    }
}

/// zstd window log able to reach back over the dictionary and the content.
fn window_log(total: usize) -> u32 {
    let bits = usize::BITS - total.max(1).leading_zeros();
    bits.clamp(17, 30)
}

/// Compresses `content`, with `dict` (the base version) as a prefix the
/// output may copy from. This is zstd's `--patch-from`: a referenced prefix
/// plus long-distance matching, which finds repeats megabytes back where a
/// loaded dictionary would only be indexed as far as the level's tables reach.
fn compress(content: &[u8], dict: Option<&[u8]>, level: i32) -> Result<Vec<u8>> {
    use zstd::zstd_safe::{CCtx, CParameter};
    let fail = |code: usize| StoreError::Compression {
        reason: format!(
            "compression failed: {}",
            zstd::zstd_safe::get_error_name(code)
        ),
    };
    let mut cctx = CCtx::create();
    let reach = content.len() + dict.map_or(0, <[u8]>::len);
    cctx.set_parameter(CParameter::CompressionLevel(level))
        .map_err(fail)?;
    cctx.set_parameter(CParameter::WindowLog(window_log(reach)))
        .map_err(fail)?;
    cctx.set_parameter(CParameter::ChecksumFlag(true))
        .map_err(fail)?;
    if let Some(d) = dict {
        cctx.set_parameter(CParameter::EnableLongDistanceMatching(true))
            .map_err(fail)?;
        cctx.ref_prefix(d).map_err(fail)?;
    }
    let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(content.len()));
    cctx.compress2(&mut out, content).map_err(fail)?;
    Ok(out)
}

fn decompress(data: &[u8], dict: Option<&[u8]>, size: usize) -> std::io::Result<Vec<u8>> {
    use zstd::zstd_safe::{DCtx, DParameter};
    let fail = |code: usize| {
        std::io::Error::other(format!("zstd: {}", zstd::zstd_safe::get_error_name(code)))
    };
    let mut dctx = DCtx::create();
    dctx.set_parameter(DParameter::WindowLogMax(31))
        .map_err(fail)?;
    if let Some(d) = dict {
        dctx.ref_prefix(d).map_err(fail)?;
    }
    let mut out = Vec::with_capacity(size);
    dctx.decompress(&mut out, data).map_err(fail)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_bases_keep_chains_short() {
        assert_eq!(skip_base(0, 16), None);
        assert_eq!(skip_base(1, 16), Some(0));
        assert_eq!(skip_base(17, 16), Some(16));
        assert_eq!(skip_base(16, 16), Some(0));
        assert_eq!(skip_base(32, 16), Some(16));
        assert_eq!(skip_base(256, 16), Some(0));
        assert_eq!(skip_base(5, 1), None);
        // depth of i = number of steps to 0 = digit sum in base 16
        let depth = |mut i: u64| {
            let mut d = 0;
            while let Some(b) = skip_base(i, 16) {
                i = b;
                d += 1;
            }
            d
        };
        assert_eq!(depth(0x1b7), 1 + 11 + 7);
        assert!((0..4096).map(depth).max().unwrap() <= 45);
    }

    fn doc(n: usize, edit: usize) -> Vec<u8> {
        let mut s = String::new();
        for i in 0..n {
            s.push_str(&format!(
                "  /path/{i}:\n    get: {{ operationId: op{i} }}\n"
            ));
        }
        s.push_str(&format!("edit: {edit}\n"));
        s.into_bytes()
    }

    #[test]
    fn deltas_round_trip_and_are_small() {
        let store = Store::open_in_memory().unwrap();
        let a = doc(2000, 1);
        let b = doc(2000, 2);
        let ha = store.put_blob(&a, None).unwrap();
        let hb = store.put_blob(&b, Some(ha)).unwrap();
        assert_eq!(store.read_blob(ha).unwrap(), a);
        assert_eq!(store.read_blob(hb).unwrap(), b);
        store.verify_blob(hb).unwrap();
        let stats = store.blob_stats().unwrap();
        assert_eq!(stats.blobs, 2);
        assert_eq!(stats.snapshots, 1);
        let delta: i64 = store
            .conn
            .query_row("SELECT length(data) FROM blobs WHERE id = ?1", [hb], |r| {
                r.get(0)
            })
            .unwrap();
        assert!(delta < 200, "delta of a one-line change took {delta} bytes");
        // identical content is stored once
        assert_eq!(store.put_blob(&a, Some(hb)).unwrap(), ha);
        assert_eq!(store.blob_stats().unwrap().blobs, 2);
    }

    #[test]
    fn large_documents_reach_back_past_the_default_window() {
        // 20 MiB of incompressible-ish data, changed in one place: the delta
        // must reference content more than 8 MiB back.
        let mut rng = fastrand::Rng::with_seed(7);
        let a: Vec<u8> = (0..20 << 20).map(|_| rng.alphanumeric() as u8).collect();
        let mut b = a.clone();
        b[12 << 20] = b'!';
        let store = Store::open_in_memory().unwrap();
        let ha = store.put_blob(&a, None).unwrap();
        let hb = store.put_blob(&b, Some(ha)).unwrap();
        assert_eq!(store.read_blob(hb).unwrap(), b);
        let delta: i64 = store
            .conn
            .query_row("SELECT length(data) FROM blobs WHERE id = ?1", [hb], |r| {
                r.get(0)
            })
            .unwrap();
        assert!(delta < 64 * 1024, "delta took {delta} bytes");
    }

    #[test]
    fn damaged_blobs_are_reported_not_returned() {
        let store = Store::open_in_memory().unwrap();
        let h = store.put_blob(b"hello world", None).unwrap();
        store
            .conn
            .execute("UPDATE blobs SET data = x'00010203' WHERE id = ?1", [h])
            .unwrap();
        assert!(matches!(
            store.read_blob(h),
            Err(StoreError::CorruptBlob { .. })
        ));
    }
}
