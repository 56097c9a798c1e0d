//! apiradar watches third-party APIs: it fetches their descriptions on a
//! schedule, keeps every version in SQLite, and tells what changed.
//!
//! The library holds everything; the `apiradar` binary only parses arguments
//! and prints. The pipeline, one module per stage:
//!
//! ```text
//! fetch ──▶ spec (parse, canonical form) ──▶ store (version) ──▶ report
//!   ▲                                           │
//! worker (tokio scheduler) ── poll (one watch) ─┘
//! ```
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod alert;
pub mod app;
pub mod caching;
pub mod config;
pub mod demo;
pub mod demo_llm;
pub mod diff;
pub mod fetch;
pub mod health;
pub mod logging;
pub mod pipeline;
pub mod report;
pub mod spec;
pub mod store;
pub mod text;
pub mod tui;
pub mod watch;
