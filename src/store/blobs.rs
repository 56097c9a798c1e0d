//! Content-addressed, delta-compressed document storage.
//!
//! A blob is the raw bytes of a document as published, keyed by their
//! SHA-256, so content that comes back after a revert is stored once.
//!
//! Successive versions of an API description differ by a few lines, so a
//! blob is normally stored as zstd output that used another blob as a
//! prefix to copy from (zstd's `--patch-from`): only the difference costs
//! space. Reading a blob decompresses its chain of bases first, so chains
//! must stay short.
//!
//! Blobs are written in one of two layouts ([`Layout`]):
//!
//! - **Reverse** (the default): the newest version of a watch is stored
//!   whole and every older one against a newer one. A new version is
//!   compressed whole, and the blob of the version before it is compressed
//!   again against it. APIs mostly grow, and a delta from a newer version
//!   back to an older one only has to spell out what was removed, so the
//!   content a history gains is stored once, in the newest version.
//!   Chains are kept short like a skip list in base `radix`, mirrored: the
//!   version at index `i` (from 0) ends up stored against index `i + p`,
//!   where `p` is the place value of `i`'s lowest non-zero digit (so with
//!   radix 16 most versions point at the next one, every 16th at the one
//!   16 on, every 256th at the one 256 on). When version `n` arrives, the
//!   versions `n - radix^k` that `n` is the base of are compressed again
//!   against it. A read of any version decompresses at most about
//!   `2 * (radix - 1)` blobs per digit of the history's length (in base
//!   `radix`): 31 for the 421 versions of a real history.
//! - **Forward** (databases written before the reverse layout, and
//!   benchmarks comparing with it): every version is stored against an
//!   older one, chosen by the same skip list the other way round (`i`
//!   against `i - p`), with full snapshots whenever `max_depth` or
//!   `max_chain_bytes` would be exceeded.
//!
//! Both layouts are read the same way: a blob names its base, whichever
//! way it points, so blobs of either layout stay readable side by side.
//!
//! Writes use a fast zstd level; a blob records its level, and
//! [`Store::settle_blob`] recompresses one at `settle_level` later, off
//! the write path (the worker does it when it has nothing else to do).

use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::{CachedSql, Result, Store, StoreError};

/// Which way deltas point (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// The newest version whole, older ones against newer ones.
    Reverse,
    /// The first version whole, newer ones against older ones.
    Forward,
}

/// How new blobs are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompressionOptions {
    pub layout: Layout,
    /// zstd level of the write path, for documents up to `large_size`.
    pub level: i32,
    /// zstd level above it, where the slow levels cost seconds.
    pub large_level: i32,
    pub large_size: usize,
    /// The skip-delta radix (see the module docs); 0 or 1 turns deltas off.
    pub radix: u64,
    /// A blob whose base chain is this long gets stored whole instead.
    pub max_depth: i64,
    /// Likewise when a read would decompress more than this many bytes.
    /// (`max_depth` and `max_chain_bytes` apply to the forward layout; the
    /// reverse one bounds chains by its shape.)
    pub max_chain_bytes: i64,
    /// The level [`Store::settle_blob`] recompresses blobs at; a blob
    /// written at this level or above is left alone.
    pub settle_level: i32,
    /// Likewise above `large_size`, where level 19 takes seconds a blob.
    pub settle_large_level: i32,
}

impl Default for CompressionOptions {
    fn default() -> Self {
        CompressionOptions {
            layout: Layout::Reverse,
            level: 3,
            large_level: 3,
            large_size: 4 << 20,
            radix: 16,
            max_depth: 40,
            max_chain_bytes: 48 << 20,
            settle_level: 19,
            settle_large_level: 9,
        }
    }
}

impl CompressionOptions {
    /// How blobs were written before the reverse layout: forward deltas at
    /// level 19 (9 above 4 MiB) on the write path. Kept to read and
    /// compare with databases written then.
    pub fn legacy() -> Self {
        CompressionOptions {
            layout: Layout::Forward,
            level: 19,
            large_level: 9,
            settle_level: 19,
            ..CompressionOptions::default()
        }
    }

    fn level_for(&self, size: usize) -> i32 {
        if size > self.large_size {
            self.large_level
        } else {
            self.level
        }
    }

    fn settle_level_for(&self, size: usize) -> i32 {
        if size > self.large_size {
            self.settle_large_level
        } else {
            self.settle_level
        }
    }
}

/// Which versions (by 0-based index) a new version at `index` becomes the
/// base of in the reverse layout: the one before it, and `index - radix^k`
/// for every `k` with `radix^k` dividing `index`.
pub fn reverse_rebases(index: u64, radix: u64) -> Vec<u64> {
    let mut out = Vec::new();
    if index == 0 {
        return out;
    }
    out.push(index - 1);
    if radix < 2 {
        return out;
    }
    let mut place = radix;
    while place <= index && index.is_multiple_of(place) {
        out.push(index - place);
        match place.checked_mul(radix) {
            Some(p) => place = p,
            None => break,
        }
    }
    out
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
    /// The longest chain of bases a read follows.
    pub max_depth: i64,
}

/// A blob to recompress at a higher level: its content and its base's,
/// read under the store, compressed without it ([`Settle::compress`]).
pub struct Settle {
    id: i64,
    base: Option<i64>,
    level: i32,
    content: Vec<u8>,
    base_content: Option<Vec<u8>>,
    old_len: usize,
}

/// A recompressed blob, for [`Store::apply_settled`].
pub struct Settled {
    id: i64,
    base: Option<i64>,
    level: i32,
    data: Option<Vec<u8>>,
}

impl Settle {
    /// Compresses the blob at the settle level; the new data is kept only
    /// when it is smaller.
    pub fn compress(self) -> Result<Settled> {
        let data = compress(&self.content, self.base_content.as_deref(), self.level)?;
        Ok(Settled {
            id: self.id,
            base: self.base,
            level: self.level,
            data: (data.len() < self.old_len).then_some(data),
        })
    }
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
            .row("SELECT id FROM blobs WHERE hash = ?1", [&hash], |r| {
                r.get(0)
            })
            .optional()?;
        if let Some(id) = existing {
            return Ok(id);
        }
        let opts = self.compression;
        let level = opts.level_for(content.len());
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
        self.conn.exec(
            "INSERT INTO blobs (hash, size, base, depth, chain_size, data, level)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                hash,
                content.len() as i64,
                base_id,
                depth,
                chain_size,
                data,
                level
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Stores `content` as version `seq` of watch `watch_id` in the
    /// configured layout and returns its blob. Must run inside the caller's
    /// write transaction, before the version row is inserted.
    pub(crate) fn put_version_blob(&self, watch_id: i64, seq: i64, content: &[u8]) -> Result<i64> {
        let index = (seq - 1).max(0) as u64;
        let radix = self.compression.radix;
        let blob_of = |index: u64| self.version_blob(watch_id, index as i64 + 1);
        match self.compression.layout {
            Layout::Forward => {
                let base = match skip_base(index, radix) {
                    Some(b) => blob_of(b)?,
                    None => None,
                };
                self.put_blob(content, base)
            }
            Layout::Reverse => {
                let hash = Sha256::digest(content).to_vec();
                if let Some(id) = self.blob_by_hash(&hash)? {
                    // A revert (or content another watch holds): the version
                    // before, when stored whole, goes against it, unless it
                    // is what that blob itself is read through.
                    if let Some(prev) = match index.checked_sub(1) {
                        Some(i) => blob_of(i)?,
                        None => None,
                    } && prev != id
                        && self.is_whole(prev)?
                        && !self.chain_ids(id)?.contains(&prev)
                    {
                        self.rebase(prev, id, content)?;
                    }
                    return Ok(id);
                }
                let level = self.compression.level_for(content.len());
                let data = compress(content, None, level)?;
                self.conn.exec(
                    "INSERT INTO blobs (hash, size, base, depth, chain_size, data, level)
                     VALUES (?1, ?2, NULL, 0, ?2, ?3, ?4)",
                    params![hash, content.len() as i64, data, level],
                )?;
                let id = self.conn.last_insert_rowid();
                // The versions this one is the base of, and any other blob
                // of the watch still stored whole (left by a revert, or by
                // the forward layout), all go against the new blob. It has
                // no base, so no cycle can form.
                let mut targets: Vec<i64> = Vec::new();
                for i in reverse_rebases(index, radix) {
                    if let Some(b) = blob_of(i)? {
                        targets.push(b);
                    }
                }
                let mut stmt = self.conn.prepare_cached(
                    "SELECT DISTINCT b.id FROM versions v JOIN blobs b ON b.id = v.blob_id
                     WHERE v.watch_id = ?1 AND b.base IS NULL",
                )?;
                let whole: Vec<i64> = stmt
                    .query_map([watch_id], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                targets.extend(whole);
                targets.sort_unstable();
                targets.dedup();
                for target in targets.into_iter().filter(|t| *t != id) {
                    self.rebase(target, id, content)?;
                }
                Ok(id)
            }
        }
    }

    fn version_blob(&self, watch_id: i64, seq: i64) -> Result<Option<i64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT blob_id FROM versions WHERE watch_id = ?1 AND seq = ?2")?
            .query_row(params![watch_id, seq], |r| r.get(0))
            .optional()?)
    }

    fn blob_by_hash(&self, hash: &[u8]) -> Result<Option<i64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM blobs WHERE hash = ?1")?
            .query_row([hash], |r| r.get(0))
            .optional()?)
    }

    fn is_whole(&self, id: i64) -> Result<bool> {
        Ok(self
            .conn
            .row("SELECT base IS NULL FROM blobs WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?
            .unwrap_or(false))
    }

    /// The blob and every blob a read of it goes through.
    fn chain_ids(&self, id: i64) -> Result<Vec<i64>> {
        let mut stmt = self.conn.prepare_cached(
            "WITH RECURSIVE chain(id, base, step) AS (
                 SELECT id, base, 0 FROM blobs WHERE id = ?1
                 UNION ALL
                 SELECT b.id, b.base, c.step + 1 FROM blobs b JOIN chain c ON b.id = c.base
                 WHERE c.step < 10000
             )
             SELECT id FROM chain",
        )?;
        Ok(stmt
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Stores blob `id` again, compressed against blob `base` (whose
    /// content is `base_content`) at the write path's level. Its content,
    /// and so every blob stored against it, is unchanged.
    fn rebase(&self, id: i64, base: i64, base_content: &[u8]) -> Result<()> {
        let content = self.read_blob(id)?;
        let level = self.compression.level_for(content.len());
        let data = compress(&content, Some(base_content), level)?;
        let (depth, chain_size): (i64, i64) = self.conn.row(
            "SELECT depth, chain_size FROM blobs WHERE id = ?1",
            [base],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        self.conn.exec(
            "UPDATE blobs SET base = ?2, data = ?3, level = ?4, depth = ?5, chain_size = ?6
             WHERE id = ?1",
            params![
                id,
                base,
                data,
                level,
                depth + 1,
                chain_size + content.len() as i64
            ],
        )?;
        Ok(())
    }

    /// Blobs written below the settle level, oldest first (at most `limit`).
    pub fn unsettled_blobs(&self, limit: usize) -> Result<Vec<i64>> {
        let o = &self.compression;
        let mut stmt = self.conn.prepare_cached(
            "SELECT id FROM blobs
             WHERE level < CASE WHEN size > ?2 THEN ?3 ELSE ?1 END
             ORDER BY id LIMIT ?4",
        )?;
        Ok(stmt
            .query_map(
                params![
                    o.settle_level,
                    o.large_size as i64,
                    o.settle_large_level,
                    limit as i64
                ],
                |r| r.get(0),
            )?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Reads what recompressing blob `id` needs; `None` when it is gone or
    /// already settled.
    pub fn settle_blob(&self, id: i64) -> Result<Option<Settle>> {
        let row: Option<(Option<i64>, Option<i32>, i64, i64)> = self
            .conn
            .row(
                "SELECT base, level, length(data), size FROM blobs WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((base, Some(current), old_len, size)) = row else {
            return Ok(None);
        };
        let level = self
            .compression
            .settle_level_for(usize::try_from(size).unwrap_or(usize::MAX));
        if current >= level {
            return Ok(None);
        }
        let read = || -> Result<(Vec<u8>, Option<Vec<u8>>)> {
            let base_content = match base {
                Some(b) => Some(self.read_blob(b)?),
                None => None,
            };
            Ok((self.read_blob(id)?, base_content))
        };
        match read() {
            Ok((content, base_content)) => Ok(Some(Settle {
                id,
                base,
                level,
                content,
                base_content,
                old_len: usize::try_from(old_len).unwrap_or(usize::MAX),
            })),
            // A damaged blob is `apiradar check`'s to report; it is not
            // tried again.
            Err(e @ StoreError::CorruptBlob { .. }) => {
                tracing::warn!(blob = id, "not recompressed: {e}");
                self.conn.exec(
                    "UPDATE blobs SET level = ?2 WHERE id = ?1",
                    params![id, level],
                )?;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Stores a recompressed blob, unless it was stored again meanwhile
    /// (against another base, or at another level). Returns whether it
    /// was taken.
    pub fn apply_settled(&mut self, s: &Settled) -> Result<bool> {
        self.in_write(|st| {
            let n = match &s.data {
                Some(data) => st.conn.exec(
                    "UPDATE blobs SET data = ?2, level = ?3
                     WHERE id = ?1 AND base IS ?4 AND level < ?3",
                    params![s.id, data, s.level, s.base],
                )?,
                // Not smaller: only marked, so it is not tried again.
                None => st.conn.exec(
                    "UPDATE blobs SET level = ?2 WHERE id = ?1 AND base IS ?3 AND level < ?2",
                    params![s.id, s.level, s.base],
                )?,
            };
            Ok(n > 0)
        })
    }

    /// Recompresses up to `limit` blobs at the settle level, on this
    /// thread; returns how many were looked at.
    pub fn settle_blobs(&mut self, limit: usize) -> Result<usize> {
        let ids = self.unsettled_blobs(limit)?;
        for id in &ids {
            if let Some(settle) = self.settle_blob(*id)? {
                let settled = settle.compress()?;
                self.apply_settled(&settled)?;
            }
        }
        Ok(ids.len())
    }

    fn base_info(&self, id: i64) -> Result<Option<BaseInfo>> {
        Ok(self
            .conn
            .row(
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
        let hash: Vec<u8> = self
            .conn
            .row("SELECT hash FROM blobs WHERE id = ?1", [id], |r| r.get(0))?;
        if Sha256::digest(&content).as_slice() != hash.as_slice() {
            return Err(StoreError::CorruptBlob {
                blob: id,
                reason: "content does not match its SHA-256".into(),
            });
        }
        Ok(())
    }

    /// Deletes blobs no version needs. A blob no version holds that others
    /// are stored against (a newer version of a removed watch, which a
    /// blob shared with another watch was rebased onto) is taken out of
    /// their chains first: they are stored against its own base instead.
    pub(crate) fn collect_garbage(&self) -> Result<usize> {
        let mut removed = 0;
        loop {
            let n = self.conn.exec(
                "DELETE FROM blobs
                 WHERE id NOT IN (SELECT blob_id FROM versions)
                   AND id NOT IN (SELECT base FROM blobs WHERE base IS NOT NULL)",
                [],
            )?;
            removed += n;
            let needed_only_as_base: Option<i64> = self
                .conn
                .row(
                    "SELECT id FROM blobs
                     WHERE id NOT IN (SELECT blob_id FROM versions) LIMIT 1",
                    [],
                    |r| r.get(0),
                )
                .optional()?;
            match needed_only_as_base {
                Some(id) => {
                    self.bypass(id)?;
                    self.conn.exec("DELETE FROM blobs WHERE id = ?1", [id])?;
                    removed += 1;
                }
                None if n == 0 => return Ok(removed),
                None => {}
            }
        }
    }

    /// Stores every blob based on `id` against `id`'s own base (or whole),
    /// so that `id` can go.
    fn bypass(&self, id: i64) -> Result<()> {
        let base: Option<i64> =
            self.conn
                .row("SELECT base FROM blobs WHERE id = ?1", [id], |r| r.get(0))?;
        let base_content = match base {
            Some(b) => Some(self.read_blob(b)?),
            None => None,
        };
        let dependents: Vec<i64> = self
            .conn
            .prepare_cached("SELECT id FROM blobs WHERE base = ?1")?
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for d in dependents {
            let content = self.read_blob(d)?;
            let level = self.compression.level_for(content.len());
            let data = compress(&content, base_content.as_deref(), level)?;
            self.conn.exec(
                "UPDATE blobs SET base = ?2, data = ?3, level = ?4 WHERE id = ?1",
                params![d, base, data, level],
            )?;
        }
        Ok(())
    }

    pub fn blob_stats(&self) -> Result<BlobStats> {
        // Depth is counted from the chains as they are now: a rebase in
        // the reverse layout lengthens the chains through the rebased blob.
        Ok(self.conn.row(
            "WITH RECURSIVE d(id, depth) AS (
                 SELECT id, 0 FROM blobs WHERE base IS NULL
                 UNION ALL
                 SELECT b.id, d.depth + 1 FROM blobs b JOIN d ON b.base = d.id
                 WHERE d.depth < 10000
             )
             SELECT count(*), coalesce(sum(base IS NULL), 0), coalesce(sum(size), 0),
                    coalesce(sum(length(data)), 0),
                    (SELECT coalesce(max(depth), 0) FROM d)
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
/// Documents up to this size are compressed whole with a context kept by
/// the thread (making one was a sixth of compressing a 4 KB document);
/// larger ones, whose context would hold megabytes, get a fresh one.
const REUSED_CONTEXT_MAX: usize = 1 << 20;

fn compress(content: &[u8], dict: Option<&[u8]>, level: i32) -> Result<Vec<u8>> {
    use zstd::zstd_safe::{CCtx, ResetDirective};
    thread_local! {
        static CONTEXT: std::cell::RefCell<CCtx<'static>> = std::cell::RefCell::new(CCtx::create());
    }
    if dict.is_none() && content.len() <= REUSED_CONTEXT_MAX {
        return CONTEXT.with(|cctx| {
            let mut cctx = cctx.borrow_mut();
            cctx.reset(ResetDirective::SessionAndParameters)
                .map_err(compression_error)?;
            compress_with(&mut cctx, content, None, level)
        });
    }
    compress_with(&mut CCtx::create(), content, dict, level)
}

fn compression_error(code: usize) -> StoreError {
    StoreError::Compression {
        reason: format!(
            "compression failed: {}",
            zstd::zstd_safe::get_error_name(code)
        ),
    }
}

fn compress_with<'a>(
    cctx: &mut zstd::zstd_safe::CCtx<'a>,
    content: &[u8],
    dict: Option<&'a [u8]>,
    level: i32,
) -> Result<Vec<u8>> {
    use zstd::zstd_safe::CParameter;
    let fail = compression_error;
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

    /// The context a thread keeps writes the same bytes as a fresh one,
    /// whatever it compressed before (another level, size or a delta).
    #[test]
    fn a_reused_context_compresses_as_a_fresh_one() {
        use zstd::zstd_safe::CCtx;
        let doc = |n: usize| -> Vec<u8> {
            (0..n)
                .flat_map(|i| {
                    format!("  /path{i}:\n    get: {{operationId: op{}}}\n", i % 97).into_bytes()
                })
                .collect()
        };
        let (small, large) = (doc(40), doc(20_000));
        let fresh = |content: &[u8], level| {
            compress_with(&mut CCtx::create(), content, None, level).unwrap()
        };
        let mut seen = Vec::new();
        for (content, level) in [
            (&large, 19),
            (&small, 3),
            (&large, 3),
            (&small, 19),
            (&small, 3),
        ] {
            let _ = compress(&small, Some(&large), 9).unwrap();
            seen.push(compress(content, None, level).unwrap());
            assert_eq!(seen.last(), Some(&fresh(content, level)), "level {level}");
        }
        assert_ne!(seen[1], seen[3], "the levels differ, so the check can fail");
    }

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
            .row("SELECT length(data) FROM blobs WHERE id = ?1", [hb], |r| {
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
            .row("SELECT length(data) FROM blobs WHERE id = ?1", [hb], |r| {
                r.get(0)
            })
            .unwrap();
        assert!(delta < 64 * 1024, "delta took {delta} bytes");
    }

    #[test]
    fn reverse_rebases_mirror_the_skip_list() {
        assert!(reverse_rebases(0, 16).is_empty());
        assert_eq!(reverse_rebases(1, 16), [0]);
        assert_eq!(reverse_rebases(17, 16), [16]);
        assert_eq!(reverse_rebases(16, 16), [15, 0]);
        assert_eq!(reverse_rebases(32, 16), [31, 16]);
        assert_eq!(reverse_rebases(256, 16), [255, 240, 0]);
        assert_eq!(reverse_rebases(5, 1), [4]);
    }

    /// Version `k` of a growing description, with a revert to version 5's
    /// content at 30.
    fn history(n: usize) -> Vec<Vec<u8>> {
        (0..n)
            .map(|k| {
                let k = if k == 30 { 5 } else { k };
                let mut s = doc(200 + 10 * k, k);
                if k % 7 == 0 {
                    s.extend_from_slice(b"removed-later: true\n");
                }
                s
            })
            .collect()
    }

    fn record_all(store: &mut Store, docs: &[Vec<u8>]) -> i64 {
        use crate::store::{Prepared, SuccessRecord};
        use crate::watch::{Kind, WatchSpec};
        let watch = store
            .add_watch(&WatchSpec::new("w", Kind::OpenApi, "x"), false)
            .unwrap();
        for d in docs {
            let against = store.latest_version(watch.id).unwrap().map(|v| v.seq);
            let rec = SuccessRecord {
                raw: d,
                canonical_hash: sha256(d),
                format: "yaml".into(),
                fetched_at: crate::store::now_ms(),
                ..SuccessRecord::default()
            };
            let prepared = Prepared {
                against,
                ..Prepared::default()
            };
            store.record_success(watch.id, &rec, &prepared).unwrap();
        }
        watch.id
    }

    fn read_every_version(store: &Store, watch_id: i64, docs: &[Vec<u8>]) {
        let versions = store.versions(watch_id).unwrap();
        assert_eq!(versions.len(), docs.len());
        for (v, d) in versions.iter().zip(docs) {
            assert_eq!(&store.read_blob(v.blob_id).unwrap(), d, "version {}", v.seq);
            store.verify_blob(v.blob_id).unwrap();
        }
    }

    #[test]
    fn reverse_layout_keeps_only_the_newest_whole_and_chains_short() {
        let mut store = Store::open_in_memory().unwrap();
        let docs = history(300);
        let watch = record_all(&mut store, &docs);
        read_every_version(&store, watch, &docs);
        let stats = store.blob_stats().unwrap();
        // 300 versions, one of them a revert to stored content.
        assert_eq!(stats.blobs, 299);
        assert_eq!(stats.snapshots, 1, "{stats:?}");
        let latest = store.latest_version(watch).unwrap().unwrap();
        assert!(store.is_whole(latest.blob_id).unwrap());
        // Mirrored skip list in radix 16: at most about 2 * 15 steps per
        // hex digit of the history's length (3 here), far fewer than 299.
        assert!(stats.max_depth <= 60, "{stats:?}");
        assert!(
            stats.stored_bytes < stats.raw_bytes / 40,
            "{} of {} bytes",
            stats.stored_bytes,
            stats.raw_bytes
        );
    }

    #[test]
    fn blobs_written_in_the_legacy_layout_stay_readable_and_take_new_versions() {
        // A database as today's release writes it: forward deltas at level
        // 19, blobs without a recorded level.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let docs = history(40);
        let watch = {
            let mut old = Store::open(&path).unwrap();
            old.set_compression(CompressionOptions::legacy());
            let watch = record_all(&mut old, &docs[..25]);
            old.conn.exec("UPDATE blobs SET level = NULL", []).unwrap();
            let stats = old.blob_stats().unwrap();
            assert_eq!(stats.snapshots, 1);
            let first = old.versions(watch).unwrap()[0].blob_id;
            assert!(old.is_whole(first).unwrap(), "forward: the first is whole");
            watch
        };
        let mut store = Store::open(&path).unwrap();
        read_every_version(&store, watch, &docs[..25]);
        // New versions on top of the old ones, in the reverse layout.
        for d in &docs[25..] {
            let against = store.latest_version(watch).unwrap().map(|v| v.seq);
            let rec = crate::store::SuccessRecord {
                raw: d,
                canonical_hash: sha256(d),
                format: "yaml".into(),
                fetched_at: crate::store::now_ms(),
                ..Default::default()
            };
            let prepared = crate::store::Prepared {
                against,
                ..Default::default()
            };
            store.record_success(watch, &rec, &prepared).unwrap();
        }
        read_every_version(&store, watch, &docs);
        assert_eq!(store.blob_stats().unwrap().snapshots, 1);
        // Old blobs have no level: the settling pass leaves them alone.
        let old_left: i64 = store
            .conn
            .row("SELECT count(*) FROM blobs WHERE level IS NULL", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert!(old_left > 0);
        while store.settle_blobs(8).unwrap() > 0 {}
        read_every_version(&store, watch, &docs);
        assert!(store.check().unwrap().is_empty());
    }

    #[test]
    fn settling_recompresses_fast_blobs_smaller_with_the_same_content() {
        let mut store = Store::open_in_memory().unwrap();
        store.set_compression(CompressionOptions {
            level: 1,
            large_level: 1,
            ..CompressionOptions::default()
        });
        // Text a fast level compresses worse than a slow one: words drawn
        // from a small vocabulary, a few more in each version.
        let mut rng = fastrand::Rng::with_seed(3);
        let words = [
            "get", "post", "items", "schema", "string", "id", "ref", "type",
        ];
        let mut text = String::new();
        let docs: Vec<Vec<u8>> = (0..24)
            .map(|_| {
                for _ in 0..2000 {
                    text.push_str(words[rng.usize(..words.len())]);
                    text.push(if rng.bool() { ' ' } else { '\n' });
                }
                text.clone().into_bytes()
            })
            .collect();
        let watch = record_all(&mut store, &docs);
        let before = store.blob_stats().unwrap();
        assert_eq!(store.unsettled_blobs(100).unwrap().len(), 24);
        let mut looked = 0;
        loop {
            let n = store.settle_blobs(5).unwrap();
            if n == 0 {
                break;
            }
            looked += n;
        }
        assert_eq!(looked, 24);
        assert!(store.unsettled_blobs(100).unwrap().is_empty());
        let after = store.blob_stats().unwrap();
        assert!(
            after.stored_bytes < before.stored_bytes,
            "{before:?} -> {after:?}"
        );
        read_every_version(&store, watch, &docs);
        // A blob stored again meanwhile (rebased) keeps its new data.
        let one = store.versions(watch).unwrap()[3].blob_id;
        store
            .conn
            .exec("UPDATE blobs SET level = 1 WHERE id = ?1", [one])
            .unwrap();
        let settle = store.settle_blob(one).unwrap().unwrap();
        store
            .conn
            .exec("UPDATE blobs SET level = 20 WHERE id = ?1", [one])
            .unwrap();
        assert!(!store.apply_settled(&settle.compress().unwrap()).unwrap());
    }

    #[test]
    fn damaged_blobs_are_reported_not_returned() {
        let store = Store::open_in_memory().unwrap();
        let h = store.put_blob(b"hello world", None).unwrap();
        store
            .conn
            .exec("UPDATE blobs SET data = x'00010203' WHERE id = ?1", [h])
            .unwrap();
        assert!(matches!(
            store.read_blob(h),
            Err(StoreError::CorruptBlob { .. })
        ));
    }
}
