//! Diff speed on the large real pair: github-rest-api 015 → 016 (3.9 MiB →
//! 11.3 MiB of JSON), against the time it takes just to parse both files.
//!
//! `cargo bench --bench diff`; skips, saying so, without `../shared/corpus`.

use std::path::PathBuf;

use apiradar::diff::{DiffOptions, diff_openapi};
use apiradar::spec::{Limits, parse_document};
use criterion::{Criterion, criterion_group, criterion_main};

mod common;

fn unpack_github() -> Option<(tempfile::TempDir, PathBuf, PathBuf)> {
    let (dir, files) = common::unpack("github-rest-api")?;
    let a = common::file_starting(&files, "015_")?;
    let b = common::file_starting(&files, "016_")?;
    Some((dir, a, b))
}

fn diff(c: &mut Criterion) {
    let Some((_dir, a, b)) = unpack_github() else {
        eprintln!(
            "diff benchmark skipped: ../shared/corpus/histories/github-rest-api.tar.zst not found"
        );
        return;
    };
    let (ra, rb) = (
        std::fs::read(&a).expect("read 015"),
        std::fs::read(&b).expect("read 016"),
    );
    let limits = Limits::default();
    let (da, _) = parse_document(&ra, &limits).expect("parse 015");
    let (db, _) = parse_document(&rb, &limits).expect("parse 016");
    let options = DiffOptions::default();
    let mut group = c.benchmark_group("github-rest-api 015 -> 016");
    group.sample_size(10);
    group.bench_function("parse both", |bench| {
        bench.iter(|| {
            let x = parse_document(&ra, &limits).expect("parse");
            let y = parse_document(&rb, &limits).expect("parse");
            (x, y)
        })
    });
    group.bench_function("diff (parsed)", |bench| {
        bench.iter(|| diff_openapi(&da, &db, &options))
    });
    group.bench_function("parse both and diff", |bench| {
        bench.iter(|| {
            let (x, _) = parse_document(&ra, &limits).expect("parse");
            let (y, _) = parse_document(&rb, &limits).expect("parse");
            diff_openapi(&x, &y, &options)
        })
    });
    group.finish();
}

criterion_group!(benches, diff);
criterion_main!(benches);
