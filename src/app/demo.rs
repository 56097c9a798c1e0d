//! What both demo modes (headless and the dashboard) start from: the demo
//! API, its watches in a database, and llama.cpp's server when built.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{AppError, ServicesConfig};
use crate::demo::{self, DemoServer, LlamaServer};
use crate::store::{SharedStore, Store};

/// How a demo runs, as asked for.
#[derive(Debug, Clone)]
pub struct DemoRequest {
    /// How long each phase of the demo API lasts.
    pub step: String,
    /// How often the watches are polled.
    pub every: String,
    /// Stop after this long (headless only).
    pub run_for: Option<String>,
    /// A database to keep; a throw-away one when `None`.
    pub db: Option<PathBuf>,
}

/// A running demo. Dropping it stops the servers and removes a
/// throw-away database.
pub struct Demo {
    pub step: Duration,
    pub every: Duration,
    pub run_for: Option<Duration>,
    pub db: PathBuf,
    pub server: DemoServer,
    /// llama.cpp's server, when its fixture is built; it is added as a
    /// caching target once it answers.
    pub llama: Option<LlamaServer>,
    /// The demo's connection to its database.
    pub store: SharedStore,
    /// What the demo has to tell about its own parts as it runs (llama.cpp's
    /// server exited at start, say); see [`Demo::take_notes`].
    notes: Option<tokio::sync::mpsc::UnboundedReceiver<String>>,
    _temp: tempfile::TempDir,
}

impl Demo {
    /// Starts the demo API on `runtime` and adds its watches, endpoints,
    /// alert channel and caching targets.
    pub fn start(
        request: &DemoRequest,
        runtime: &tokio::runtime::Runtime,
    ) -> Result<Demo, AppError> {
        let step = super::parse_duration(&request.step)?;
        let every = super::parse_duration(&request.every)?;
        let run_for = request
            .run_for
            .as_deref()
            .map(super::parse_duration)
            .transpose()?;
        if every.is_zero() || step.is_zero() {
            return Err(AppError::usage(
                "--step and --every must be longer than zero",
            ));
        }
        let temp = tempfile::Builder::new()
            .prefix("apiradar-demo-")
            .tempdir()?;
        let db = match &request.db {
            Some(p) => p.clone(),
            None => temp.path().join("demo.db"),
        };
        let server = runtime
            .block_on(demo::serve(step))
            .map_err(|e| AppError::context("cannot start the demo API", e))?;
        let mut store = Store::open(&db)?;
        demo::add_watches(&mut store, &server.url(), every)?;
        let store: SharedStore = Arc::new(Mutex::new(store));
        let (notes_tx, notes) = tokio::sync::mpsc::unbounded_channel();
        let llama = demo::start_llama(&temp.path().join("llama-server.log"));
        if let Some(l) = &llama {
            runtime.spawn(demo::add_llama_when_ready(
                Arc::clone(&store),
                l.watch(),
                every,
                notes_tx,
            ));
        }
        Ok(Demo {
            step,
            every,
            run_for,
            db,
            server,
            llama,
            store,
            notes: Some(notes),
            _temp: temp,
        })
    }

    /// The demo's notes about its own parts, one message each, for the
    /// front end to show as they come (once: later calls get `None`).
    pub fn take_notes(&mut self) -> Option<tokio::sync::mpsc::UnboundedReceiver<String>> {
        self.notes.take()
    }

    /// The background work of a demo: defaults, with health rounds as
    /// often as polls.
    pub fn services_config(&self) -> ServicesConfig {
        ServicesConfig {
            health: crate::health::Schedule {
                every: self.every,
                ..crate::health::Schedule::default()
            },
            ..ServicesConfig::default()
        }
    }
}
