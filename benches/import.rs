//! Importing a real history: `pipeline::import` over the venice-api
//! history (439 files), before and after the import stopped comparing
//! each version with its predecessor and compressing at level 19 on the
//! way in, as ratios to git (each file committed in turn, then `git gc
//! --aggressive`) measured in the same run. The work the import leaves to
//! the worker (finding counts, settling blobs at level 19) is timed too.
//!
//! `cargo bench --bench import`. Skips, saying so, without
//! `../shared/corpus`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use apiradar::pipeline::{import, ingest};
use apiradar::spec;
use apiradar::store::{self, CompressionOptions, Store, SuccessRecord};
use apiradar::watch::{Kind, Watch, WatchSpec};

mod common;
use common::{git_floor, unpack};

/// The binary's allocator (`src/main.rs`), so that these figures are its.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn fresh(dir: &Path, name: &str, options: CompressionOptions) -> (Store, Watch) {
    let mut store = Store::open(&dir.join(format!("{name}.db"))).expect("open");
    store.set_compression(options);
    let watch = store
        .add_watch(&WatchSpec::new("venice", Kind::OpenApi, "x"), false)
        .expect("add watch");
    (store, watch)
}

/// The import as it was: parsing on a second thread, and on this one each
/// version compared with the one before (for its counts) and stored with
/// level-19 forward deltas.
fn import_before(store: &mut Store, watch: &Watch, files: &[PathBuf]) -> usize {
    let limits = spec::Limits::default();
    let spec = &watch.spec;
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel(4);
        scope.spawn(move || {
            for path in files {
                let parsed = std::fs::read(path).ok().and_then(|raw| {
                    let n = ingest::normalize(spec, &raw, limits).ok()?;
                    Some((raw, n, import::date_from_name(path)))
                });
                if tx.send(parsed).is_err() {
                    return;
                }
            }
        });
        let mut stored = 0;
        for (raw, normalized, source_date) in rx.into_iter().flatten() {
            let rec = SuccessRecord {
                raw: &raw,
                canonical_hash: store::sha256(&normalized.canonical),
                format: normalized.format.clone(),
                source_date,
                fetched_at: store::now_ms(),
                ..SuccessRecord::default()
            };
            if ingest::ingest(store, watch, &rec, &normalized.canonical, limits).is_ok() {
                stored += 1;
            }
        }
        stored
    })
}

fn main() {
    let Some((_unpacked, files)) = unpack("venice-api") else {
        eprintln!(
            "import benchmark skipped: ../shared/corpus/histories/venice-api.tar.zst not found"
        );
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    eprintln!("\nimporting venice-api ({} files)", files.len());
    let git = git_floor(&files);
    if let Some(g) = &git {
        eprintln!(
            "  floor: git add + commit each file, gc --aggressive: {:.1} s",
            g.seconds
        );
    }
    let ratio = |s: f64| match &git {
        Some(g) if g.seconds > 0.0 => format!("{:.2}x git", s / g.seconds),
        _ => "-".into(),
    };

    let (mut store, watch) = fresh(dir.path(), "before", CompressionOptions::legacy());
    let t = Instant::now();
    let n = import_before(&mut store, &watch, &files);
    let before = t.elapsed().as_secs_f64();
    eprintln!(
        "  before: compare + level-19 forward deltas on the way in: {before:.1} s ({n} files) = {}",
        ratio(before)
    );

    let (mut store, watch) = fresh(dir.path(), "after", CompressionOptions::default());
    let limits = spec::Limits::default();
    let t = Instant::now();
    let results = import::import_files(&mut store, &watch, &files, limits, |_| {});
    let after = t.elapsed().as_secs_f64();
    let pending = store.pending_count_total(Some(watch.id)).expect("pending");
    eprintln!(
        "  after: counts pending, reverse deltas at level 3: {after:.1} s ({} files, {pending} counts pending) = {}",
        results.len(),
        ratio(after)
    );
    let t = Instant::now();
    let mut counted = 0;
    while let Ok(n @ 1..) = ingest::fill_pending_counts(&mut store, 32, limits) {
        counted += n;
    }
    let counts = t.elapsed().as_secs_f64();
    let t = Instant::now();
    while store.settle_blobs(16).expect("settle") > 0 {}
    let settle = t.elapsed().as_secs_f64();
    eprintln!(
        "  left to the worker afterwards: {counted} finding counts {counts:.1} s, settling blobs at level 19 {settle:.1} s"
    );
    eprintln!("  after / before: {:.2}x\n", after / before);
}
