//! Arbitrary bytes through everything a fetched body goes through: parsing
//! (JSON/YAML with limits), normalization for each kind, and the diffs. The
//! input is split in two documents at the first NUL byte (or the middle).
#![no_main]

use apiradar::diff::{DiffOptions, compare_raw, diff_openapi};
use apiradar::spec::{Limits, NormalizeOptions, normalize, parse_document};
use apiradar::watch::Kind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data
        .iter()
        .position(|b| *b == 0)
        .unwrap_or(data.len() / 2);
    let (a, b) = (&data[..split], &data[(split + 1).min(data.len())..]);
    // Small limits keep each run fast; the limits themselves are under test.
    let limits = Limits {
        max_depth: 64,
        max_nodes: 100_000,
        max_alias_nodes: 10_000,
    };
    for kind in [Kind::OpenApi, Kind::Json, Kind::Page] {
        let opts = NormalizeOptions {
            item_key: Some("id"),
            limits,
        };
        let _ = normalize(kind, a, &opts);
        let _ = compare_raw(kind, a, b, Some("id"), &limits);
    }
    if let (Ok((x, _)), Ok((y, _))) = (parse_document(a, &limits), parse_document(b, &limits)) {
        let _ = diff_openapi(&x, &y, &DiffOptions::default());
        let _ = apiradar::diff::lint::lint(&x);
    }
});
