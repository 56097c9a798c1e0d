//! apiradar watches third-party APIs: it fetches their descriptions on a
//! schedule, keeps every version in SQLite, and tells what changed.
//!
//! The library holds everything; the `apiradar` binary parses arguments and
//! prints what [`app`] returns, and [`tui`] draws it. Imports point down:
//!
//! ```text
//! main.rs, tui ──▶ app ──▶ pipeline (worker → poll → ingest, import)
//!                            │
//!          diff, spec, health, caching, alert, fetch, config, watch
//!                            │
//!                          store (SQL only)
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
pub mod generate;
pub mod glob;
pub mod health;
pub mod logging;
pub mod pipeline;
pub mod report;
pub mod spec;
pub mod store;
pub mod text;
pub mod tui;
pub mod watch;
