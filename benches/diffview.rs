//! Frame time of the side-by-side diff pane, on the large real pair
//! (github-rest-api 015 → 016, canonical pretty JSON: 112k and 319k lines),
//! or on a synthetic pair of the same size when the corpus is absent; plus a
//! window of near-cap long lines, and OpenAI's YAML description when the
//! corpus has it.
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
//! It also prints, from a counting allocator, the heap held by the model and
//! by the checkpoints, and the peaks while building them.

use std::alloc::{GlobalAlloc, Layout};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use apiradar::tui::diffview::{
    ColorDepth, DiffModel, DiffStyles, DiffView, DiffViewState, Highlighter, Lang, ViewOptions,
};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

mod common;
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

/// Two files of one history of the shared corpus, by name prefix.
/// `None` without the corpus.
fn corpus_files(history: &str, first: &str, second: &str) -> Option<(Vec<u8>, Vec<u8>)> {
    let (_dir, files) = common::unpack(history)?;
    let a = std::fs::read(common::file_starting(&files, first)?).ok()?;
    let b = std::fs::read(common::file_starting(&files, second)?).ok()?;
    Some((a, b))
}

/// github-rest-api 015 and 016, canonicalised.
fn real_pair() -> Option<Pair> {
    let (a, b) = corpus_files("github-rest-api", "015_", "016_")?;
    Some(Pair {
        label: "github-rest-api 015 -> 016".into(),
        left: canonical(&a)?,
        right: canonical(&b)?,
    })
}

/// openai-api 036 and 037 (YAML, 84k and 87k lines), as fetched.
fn yaml_pair() -> Option<Pair> {
    let (a, b) = corpus_files("openai-api", "036_", "037_")?;
    Some(Pair {
        label: "openai-api 036 -> 037 (YAML)".into(),
        left: String::from_utf8(a).ok()?,
        right: String::from_utf8(b).ok()?,
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

/// The system allocator, counting live and peak heap bytes, so the bench
/// can report exactly what the model and the checkpoints hold (resident-set
/// figures are blurred by memory the allocator keeps for reuse).
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to mimalloc (the binary's
// allocator, `src/main.rs`); the counters are only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { mimalloc::MiMalloc.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            let live = LIVE.fetch_add(new_size, Ordering::Relaxed) + new_size;
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Live heap bytes, in MiB.
fn live_mib() -> f64 {
    LIVE.load(Ordering::Relaxed) as f64 / 1048576.0
}

/// Resets the peak to the current live size.
fn reset_peak() {
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
}

/// Peak heap bytes since the last reset, in MiB.
fn peak_mib() -> f64 {
    PEAK.load(Ordering::Relaxed) as f64 / 1048576.0
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
        cursor_mark: Style::default()
            .fg(Color::Black)
            .bg(Color::Rgb(235, 203, 139)),
        search_match: Style::default()
            .fg(Color::Black)
            .bg(Color::Rgb(208, 135, 112)),
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
        options: ViewOptions::default(),
        search: "",
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

    // One build and fill outside criterion, for the memory figures (the
    // texts are copied before counting: the model takes ownership of them).
    let (left, right) = (pair.left.clone(), pair.right.clone());
    let texts = (left.len() + right.len()) as f64 / 1048576.0;
    let before = live_mib();
    reset_peak();
    let started = Instant::now();
    let model = DiffModel::build(left, right, Lang::Json);
    let build_time = started.elapsed();
    let (after_build, build_peak) = (live_mib(), peak_mib());
    // Highlighter::new loads syntect's syntaxes and themes once per process:
    // count that apart.
    let warm = Highlighter::new(&model, "base16-ocean.dark", ColorDepth::TrueColor);
    let _ = warm.line(&model, apiradar::tui::diffview::Column::Left, 0);
    drop(warm);
    let after_syntect = live_mib();
    let highlighter = Highlighter::new(&model, "base16-ocean.dark", ColorDepth::TrueColor);
    reset_peak();
    let started = Instant::now();
    highlighter.fill_checkpoints(&model, &AtomicBool::new(false));
    let fill_time = started.elapsed();
    let (after_fill, fill_peak) = (live_mib(), peak_mib());
    let (removed, added) = model.changed_lines();
    eprintln!(
        "rows {}, hunks {}, -{removed} +{added}\n\
         build {build_time:.2?}, fill_checkpoints {fill_time:.2?}\n\
         heap: model {:.1} MiB = texts {texts:.1} + lines/rows {:.1} (heap_bytes() says {:.1}); \
         build peak {:.1} MiB over the texts; syntect data {:.1} MiB; \
         checkpoints {:.1} MiB (fill peak +{:.1} MiB)",
        model.rows(),
        model.hunks().len(),
        texts + after_build - before,
        after_build - before,
        model.heap_bytes() as f64 / 1048576.0,
        build_peak - before,
        after_syntect - after_build,
        after_fill - after_syntect,
        fill_peak - after_syntect,
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

    // The worst case for highlighting: every line just under the highlight
    // cap (1900 bytes of JSON string), so a cold frame parses ~1.9 KB a line.
    let long_pair = {
        let side = |newer: bool| {
            let mut doc = String::from("{\n");
            for i in 0..6000 {
                let words = "lorem ipsum dolor sit amet, ".repeat(68);
                let tag = if newer && i % 50 == 0 { "new" } else { "old" };
                doc.push_str(&format!("  \"d{i:05}\": \"{tag} {words}\",\n"));
            }
            doc.push_str("  \"z\": 0\n}\n");
            doc
        };
        DiffModel::build(side(false), side(true), Lang::Json)
    };
    let long_highlighter = Highlighter::new(&long_pair, "base16-ocean.dark", ColorDepth::TrueColor);
    long_highlighter.fill_checkpoints(&long_pair, &AtomicBool::new(false));
    let mut group = c.benchmark_group("diffview/frame 200x60 (1.9 KB lines)");
    let mut buf = Buffer::empty(Rect::new(0, 0, 200, 60));
    let mut state = DiffViewState::default();
    draw(&mut buf, &long_pair, &long_highlighter, &styles, &mut state);
    let mut rng = XorShift(0x1234_5678_9ABC_DEF1);
    group.bench_function("jump to random row (cold cache)", |b| {
        b.iter_batched(
            || {
                long_highlighter.clear_cache();
                rng.next(long_pair.rows())
            },
            |row| {
                state.jump_to_row(&long_pair, row);
                draw(&mut buf, &long_pair, &long_highlighter, &styles, &mut state);
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();

    // YAML goes through the own tokenizer (no checkpoints): cold jumps on
    // OpenAI's description.
    if let Some(yaml) = yaml_pair() {
        let started = Instant::now();
        let model = DiffModel::build(yaml.left, yaml.right, Lang::Yaml);
        eprintln!(
            "{}: build {:.2?}, {} rows",
            yaml.label,
            started.elapsed(),
            model.rows()
        );
        let highlighter = Highlighter::new(&model, "base16-ocean.dark", ColorDepth::TrueColor);
        let mut group = c.benchmark_group("diffview/frame 200x60 (YAML)");
        let mut buf = Buffer::empty(Rect::new(0, 0, 200, 60));
        let mut state = DiffViewState::default();
        draw(&mut buf, &model, &highlighter, &styles, &mut state);
        let hunks = model.hunks().to_vec();
        let mut rng = XorShift(0x0DDB_1A5E_5BAD_5EED);
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
