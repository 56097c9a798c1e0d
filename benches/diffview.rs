//! Frame time of the side-by-side diff pane, on the large real pair
//! (github-rest-api 015 → 016, canonical pretty JSON: 112k and 319k lines),
//! or on a synthetic pair of the same size when the corpus is absent.
//!
//! `cargo bench --bench diffview`. What is measured:
//!
//! * `frame WxH/*`: one keypress as the dashboard handles it — update the
//!   `DiffViewState`, then render `DiffView` into a fresh `Buffer` — with the
//!   highlighter's checkpoints filled. "cold" cases drop the highlighted-line
//!   cache first (untimed), so the frame pays for re-parsing from the nearest
//!   checkpoint; "before fill" uses a highlighter whose checkpoints are not
//!   filled (the approximate start).
//! * `background/*`: `DiffModel::build` and `Highlighter::fill_checkpoints`,
//!   which run off the UI thread.
//!
//! It also prints the model's heap size and the process's resident memory
//! before and after building the model and filling the checkpoints.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use apiradar::tui::diffview::{
    ColorDepth, DiffModel, DiffStyles, DiffView, DiffViewState, Highlighter, Lang,
};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::StatefulWidget;

/// The pair to diff: a label and the two canonical texts.
struct Pair {
    label: String,
    left: String,
    right: String,
}

/// Pretty JSON with sorted keys, as the store keeps descriptions.
fn canonical(bytes: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    serde_json::to_string_pretty(&value).ok()
}

/// The file of `folder` whose name starts with `prefix`.
fn find(folder: &Path, prefix: &str) -> Option<PathBuf> {
    std::fs::read_dir(folder)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
}

/// github-rest-api 015 and 016: from /tmp/corpus if unpacked there, else
/// unpacked from the shared archive into a temporary directory.
fn real_pair() -> Option<Pair> {
    let archive = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/histories/github-rest-api.tar.zst");
    if !archive.exists() {
        return None;
    }
    let unpacked = Path::new("/tmp/corpus/github-rest-api");
    let mut _temp = None;
    let folder = if find(unpacked, "015_").is_some() && find(unpacked, "016_").is_some() {
        unpacked.to_path_buf()
    } else {
        let dir = tempfile::tempdir().ok()?;
        let ok = std::process::Command::new("tar")
            .args(["-I", "zstd", "-xf"])
            .arg(&archive)
            .arg("-C")
            .arg(dir.path())
            .status()
            .ok()?
            .success();
        if !ok {
            return None;
        }
        let folder = dir.path().join("github-rest-api");
        _temp = Some(dir);
        folder
    };
    let (a, b) = (find(&folder, "015_")?, find(&folder, "016_")?);
    let left = canonical(&std::fs::read(&a).ok()?)?;
    let right = canonical(&std::fs::read(&b).ok()?)?;
    Some(Pair {
        label: "github-rest-api 015 -> 016".into(),
        left,
        right,
    })
}

/// About 400 000 lines of OpenAPI-like JSON per side, the right side with
/// changed descriptions, added parameters and removed operations sprinkled in.
fn synthetic_pair() -> Pair {
    use serde_json::{Map, Value, json};
    let side = |newer: bool| {
        let mut paths = Map::new();
        for i in 0..16_000u32 {
            if newer && i % 211 == 7 {
                continue; // removed operation
            }
            let mut parameters = vec![
                json!({"in": "path", "name": "id", "required": true, "schema": {"type": "integer"}}),
                json!({"in": "query", "name": "per_page", "schema": {"default": 30, "type": "integer"}}),
            ];
            if newer && i % 101 == 3 {
                parameters.push(json!({"in": "query", "name": "since", "schema": {"format": "date-time", "type": "string"}}));
            }
            let description = if newer && i % 37 == 5 {
                format!("Lists the widgets of resource {i}, newest first.")
            } else {
                format!("Lists the widgets of resource {i}.")
            };
            paths.insert(
                format!("/resources/{i}/widgets/{{id}}"),
                json!({"get": {
                    "description": description,
                    "operationId": format!("widgets/list-{i}"),
                    "parameters": parameters,
                    "responses": {"200": {"description": "OK", "content": {"application/json": {
                        "schema": {"items": {"$ref": "#/components/schemas/widget"}, "type": "array"}}}}},
                    "tags": ["widgets"]
                }}),
            );
        }
        let doc = json!({"openapi": "3.0.3", "info": {"title": "Synthetic", "version": if newer {"2"} else {"1"}}, "paths": Value::Object(paths)});
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    };
    Pair {
        label: "synthetic ~400k lines".into(),
        left: side(false),
        right: side(true),
    }
}

/// Resident memory of this process, in MiB (Linux; 0 elsewhere).
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

fn styles() -> DiffStyles {
    DiffStyles {
        text: Style::default().fg(Color::Rgb(200, 200, 200)),
        line_number: Style::default().fg(Color::DarkGray),
        gutter: Style::default().fg(Color::Gray),
        added: Style::default().bg(Color::Rgb(0, 40, 0)),
        removed: Style::default().bg(Color::Rgb(50, 0, 0)),
        added_emph: Style::default()
            .bg(Color::Rgb(0, 90, 0))
            .add_modifier(Modifier::BOLD),
        removed_emph: Style::default()
            .bg(Color::Rgb(110, 0, 0))
            .add_modifier(Modifier::BOLD),
        filler: Style::default().bg(Color::Rgb(25, 25, 25)),
        cursor: Style::default().bg(Color::Rgb(40, 40, 70)),
        header: Style::default().add_modifier(Modifier::BOLD),
    }
}

/// One frame: render the view into `buf` (cleared first, as a terminal's
/// back buffer is).
fn draw(
    buf: &mut Buffer,
    model: &DiffModel,
    highlighter: &Highlighter,
    styles: &DiffStyles,
    state: &mut DiffViewState,
) {
    buf.reset();
    let area = buf.area;
    DiffView {
        model,
        highlighter,
        styles,
        focused: true,
    }
    .render(area, buf, state);
    black_box(&buf);
}

/// A small deterministic generator for "random" hunks.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self, below: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % below.max(1) as u64) as usize
    }
}

fn diffview(c: &mut Criterion) {
    let pair = real_pair().unwrap_or_else(|| {
        eprintln!("diffview bench: corpus not found, using a synthetic pair");
        synthetic_pair()
    });
    eprintln!(
        "diffview bench on {}: {:.1} MiB / {} lines -> {:.1} MiB / {} lines",
        pair.label,
        pair.left.len() as f64 / 1048576.0,
        pair.left.lines().count(),
        pair.right.len() as f64 / 1048576.0,
        pair.right.lines().count(),
    );

    // One build and fill outside criterion, for the memory figures.
    let rss_before = rss_mib();
    let started = Instant::now();
    let model = DiffModel::build(pair.left.clone(), pair.right.clone(), Lang::Json);
    let build_time = started.elapsed();
    let rss_model = rss_mib();
    let highlighter = Highlighter::new(&model, "base16-ocean.dark", ColorDepth::TrueColor);
    let started = Instant::now();
    highlighter.fill_checkpoints(&model, &AtomicBool::new(false));
    let fill_time = started.elapsed();
    let rss_filled = rss_mib();
    let (removed, added) = model.changed_lines();
    eprintln!(
        "rows {}, hunks {}, -{removed} +{added}; build {build_time:.2?}, fill {fill_time:.2?}; \
         model heap {:.1} MiB; RSS {rss_before:.1} -> {rss_model:.1} (model) -> {rss_filled:.1} MiB (checkpoints)",
        model.rows(),
        model.hunks().len(),
        model.heap_bytes() as f64 / 1048576.0,
    );

    let styles = styles();
    for (w, h) in [(200u16, 60u16), (80, 24)] {
        let mut group = c.benchmark_group(format!("diffview/frame {w}x{h}"));
        let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
        let hunks = model.hunks().to_vec();
        let middle = hunks
            .get(hunks.len() / 2)
            .copied()
            .unwrap_or(model.rows() / 2);

        // (a) One row down, caches warm (the common case while reading).
        let mut state = DiffViewState::default();
        draw(&mut buf, &model, &highlighter, &styles, &mut state);
        state.jump_to_row(&model, middle);
        group.bench_function("move one row", |b| {
            b.iter(|| {
                if state.cursor + 1 >= model.rows() {
                    state.to_start();
                }
                state.move_by(&model, 1);
                draw(&mut buf, &model, &highlighter, &styles, &mut state);
            })
        });
        // (a') The same with the highlight cache dropped before each frame.
        group.bench_function("move one row (cold cache)", |b| {
            b.iter_batched(
                || highlighter.clear_cache(),
                |()| {
                    if state.cursor + 1 >= model.rows() {
                        state.to_start();
                    }
                    state.move_by(&model, 1);
                    draw(&mut buf, &model, &highlighter, &styles, &mut state);
                },
                BatchSize::PerIteration,
            )
        });
        // (b) From the top to the last row.
        group.bench_function("jump to last row (cold cache)", |b| {
            b.iter_batched(
                || highlighter.clear_cache(),
                |()| {
                    // From the top (setting two numbers: nothing to time).
                    state.to_start();
                    state.to_end(&model);
                    draw(&mut buf, &model, &highlighter, &styles, &mut state);
                },
                BatchSize::PerIteration,
            )
        });
        // (c) To a random hunk.
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        group.bench_function("jump to random hunk (cold cache)", |b| {
            b.iter_batched(
                || {
                    highlighter.clear_cache();
                    hunks.get(rng.next(hunks.len())).copied().unwrap_or(0)
                },
                |row| {
                    state.jump_to_row(&model, row);
                    draw(&mut buf, &model, &highlighter, &styles, &mut state);
                },
                BatchSize::PerIteration,
            )
        });
        // (c') To a random hunk before any checkpoint exists.
        group.bench_function("jump to random hunk (before fill)", |b| {
            b.iter_batched(
                || {
                    let fresh =
                        Highlighter::new(&model, "base16-ocean.dark", ColorDepth::TrueColor);
                    (
                        fresh,
                        hunks.get(rng.next(hunks.len())).copied().unwrap_or(0),
                    )
                },
                |(fresh, row)| {
                    state.jump_to_row(&model, row);
                    draw(&mut buf, &model, &fresh, &styles, &mut state);
                    fresh
                },
                BatchSize::PerIteration,
            )
        });
        group.finish();
    }

    let mut group = c.benchmark_group("diffview/background");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(15));
    group.bench_function("DiffModel::build", |b| {
        b.iter_batched(
            || (pair.left.clone(), pair.right.clone()),
            |(l, r)| DiffModel::build(l, r, Lang::Json),
            BatchSize::PerIteration,
        )
    });
    group.measurement_time(Duration::from_secs(40));
    group.bench_function("Highlighter::fill_checkpoints", |b| {
        b.iter_batched(
            || Highlighter::new(&model, "base16-ocean.dark", ColorDepth::TrueColor),
            |h| {
                h.fill_checkpoints(&model, &AtomicBool::new(false));
                h
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, diffview);
criterion_main!(benches);
