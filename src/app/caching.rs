//! Prompt-caching targets: add one (and a watch of its model catalog),
//! list a provider's models, run the tests now.

use std::sync::{Arc, Mutex};

use super::{AppError, Delivery};
use crate::caching::declare::TargetDecl;
use crate::caching::profile::Auth;
use crate::caching::suite::TestKind;
use crate::caching::{self, ModelRun};
use crate::store::caching::CacheTarget;
use crate::store::{SharedStore, Store, StoreError};
use crate::watch::{Kind, WatchSpec};

/// A target added.
#[derive(Debug, Clone)]
pub struct Added {
    pub target: CacheTarget,
    /// The watch of its model catalog, when asked for.
    pub catalog: Option<WatchSpec>,
    /// Its key's environment variable, when this process lacks it.
    pub missing_env: Option<String>,
}

/// Adds the target `decl` declares; with `watch_catalog`, also a json
/// watch of its `/models` list.
pub fn add(store: &mut Store, decl: &TargetDecl, watch_catalog: bool) -> Result<Added, AppError> {
    let def = decl.resolve().map_err(AppError::Declaration)?;
    let profile = def.profile;
    let target = store.add_cache_target(
        &def.name,
        &profile.name,
        &def.base_url,
        def.api_key_env.as_deref(),
        &def.models,
        &def.settings,
    )?;
    let mut catalog = None;
    if watch_catalog {
        let mut spec = WatchSpec::new(
            &format!("{}-models", target.name),
            Kind::Json,
            &format!("{}/models", target.base_url.trim_end_matches('/')),
        );
        spec.item_key = Some("id".into());
        if let Some(var) = &target.api_key_env {
            let header = match profile.auth {
                Auth::Bearer => ("Authorization".to_string(), format!("Bearer ${{{var}}}")),
                Auth::XApiKey => ("x-api-key".to_string(), format!("${{{var}}}")),
            };
            spec.headers.push(header);
        }
        spec.validate()?;
        store.add_watch(&spec, false)?;
        catalog = Some(spec);
    }
    let missing_env = target
        .api_key_env
        .clone()
        .filter(|var| std::env::var(var).is_err());
    Ok(Added {
        target,
        catalog,
        missing_env,
    })
}

/// The models the target's provider lists, each with whether the target
/// tests it.
pub fn models(store: &Store, name: &str) -> Result<Vec<(String, bool)>, AppError> {
    let t = store.cache_target(name)?;
    let endpoint = caching::endpoint_of(&t);
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| AppError::context("cannot build the HTTP client", e))?;
    let models = super::runtime()?
        .block_on(caching::list_models(&client, &endpoint))
        .map_err(AppError::Failed)?;
    Ok(models
        .into_iter()
        .map(|m| {
            let tested = t.models.contains(&m);
            (m, tested)
        })
        .collect())
}

/// `apiradar cache-test`.
#[derive(Debug, Clone, Default)]
pub struct CacheTestRequest {
    pub name: String,
    /// Only these tests (all the profile's when empty).
    pub tests: Vec<String>,
    /// Only these models (all the target's when empty).
    pub models: Vec<String>,
    /// The wait between tests that could disturb each other.
    pub isolation: String,
    /// How long one request may take.
    pub timeout: String,
    /// Test models that are not the target's too.
    pub any_model: bool,
    /// Run models resting after failed runs too.
    pub force: bool,
}

/// What the tests found.
#[derive(Debug)]
pub struct Tested {
    pub target: CacheTarget,
    pub endpoint: caching::client::Endpoint,
    pub runs: Vec<ModelRun>,
    pub delivery: Delivery,
    /// For `--curl`: per run, per result, the file holding its first
    /// request's body ([`Tested::save_bodies`]).
    pub bodies: Vec<Vec<Option<std::path::PathBuf>>>,
}

/// A name made safe as part of a file name: letters, digits, `-`, `_`
/// and `.` kept, anything else `_`, never only dots, at most 80 characters.
fn file_part(s: &str) -> String {
    let part: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    if part.chars().all(|c| c == '.') {
        part.replace('.', "_")
    } else {
        part
    }
}

impl Tested {
    /// Writes the body of each test's first request to `dir` (made when
    /// missing) as `TARGET-MODEL-TEST.json`, for `--curl` commands that
    /// send it with `--data-binary @FILE` and stay one short line.
    pub fn save_bodies(&mut self, dir: &std::path::Path) -> Result<(), AppError> {
        let fail = |path: &std::path::Path, e: std::io::Error| {
            AppError::Failed(format!(
                "cannot write the request bodies for --curl to {}: {e} (choose another folder with --curl=DIR)",
                path.display()
            ))
        };
        let mut made = false;
        self.bodies = Vec::new();
        for run in &self.runs {
            let mut files = Vec::new();
            for r in &run.results {
                let Some(first) = r.exchanges.first() else {
                    files.push(None);
                    continue;
                };
                if !made {
                    std::fs::create_dir_all(dir).map_err(|e| fail(dir, e))?;
                    made = true;
                }
                let path = dir.join(format!(
                    "{}-{}-{}.json",
                    file_part(&self.target.name),
                    file_part(&run.model),
                    r.test.as_str()
                ));
                std::fs::write(&path, first.request.to_string()).map_err(|e| fail(&path, e))?;
                files.push(Some(path));
            }
            self.bodies.push(files);
        }
        Ok(())
    }

    /// The file holding the first request's body of result `result` of
    /// run `run`, once saved.
    pub fn body_file(&self, run: usize, result: usize) -> Option<&std::path::Path> {
        self.bodies.get(run)?.get(result)?.as_deref()
    }

    /// A test that should pass failed (exit 1, the output says which), or
    /// a test could not run (exit 1, with the reason): "inconclusive" must
    /// not pass for success in a script.
    pub fn verdict(&self) -> Result<(), AppError> {
        let not_run: Vec<String> = self
            .runs
            .iter()
            .filter_map(|r| r.not_run().map(|why| format!("{}: {why}", r.model)))
            .collect();
        if let Some(first) = not_run.first() {
            return Err(AppError::Failed(format!(
                "caching target `{}`: tests of {} could not run ({first})",
                self.target.name,
                crate::text::plural(not_run.len() as u64, "model", "models")
            )));
        }
        if self.runs.iter().any(|r| r.failed()) {
            return Err(AppError::PartialFailure);
        }
        Ok(())
    }
}

/// Runs the caching tests of a target now, telling `progress` as each
/// test starts.
pub fn test(
    store: &mut Store,
    a: &CacheTestRequest,
    mut progress: impl FnMut(&caching::RunProgress),
) -> Result<Tested, AppError> {
    let target = store.cache_target(&a.name)?;
    if !a.any_model {
        let others: Vec<&String> = a
            .models
            .iter()
            .filter(|m| !target.models.contains(m))
            .collect();
        if let Some(model) = others.first() {
            return Err(AppError::usage(format!(
                "`{model}` is not a model of caching target `{}` (it tests {}): check the name, add it to the target, or pass --any-model to run every test against it anyway",
                target.name,
                target.models.join(", ")
            )));
        }
    }
    // Without its key nothing can run: say so before sending anything.
    if let Some(var) = &target.api_key_env
        && std::env::var_os(var).is_none_or(|v| v.is_empty())
    {
        return Err(AppError::Failed(format!(
            "caching target `{}`: the key variable {var} is not set: export {var} and run again (nothing was sent)",
            target.name
        )));
    }
    let tests = if a.tests.is_empty() {
        None
    } else {
        Some(
            a.tests
                .iter()
                .map(|t| {
                    TestKind::parse(t.trim()).ok_or_else(|| {
                        AppError::usage(format!(
                            "unknown test `{t}`: use identical, sizes, shared-prefix, changed-at-k, persistence, ttl or multi-turn"
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        )
    };
    let (progress_tx, mut progress_rx) = tokio::sync::mpsc::unbounded_channel();
    let opts = caching::RunOptions {
        tests,
        models: (!a.models.is_empty()).then(|| a.models.clone()),
        isolation: super::parse_duration(&a.isolation)?,
        ignore_cooldown: a.force,
        progress: Some(progress_tx),
    };
    let client = caching::client::Client::new(super::parse_duration(&a.timeout)?)
        .map_err(AppError::Failed)?;
    let endpoint = caching::endpoint_of(&target);
    let path = store.path().to_path_buf();
    let (runs, delivery) = super::runtime()?.block_on(async {
        let shared: SharedStore = Arc::new(Mutex::new(Store::open(&path)?));
        let run = caching::run_target(&shared, &client, &target, &opts);
        tokio::pin!(run);
        let runs = loop {
            tokio::select! {
                runs = &mut run => break runs,
                Some(p) = progress_rx.recv() => progress(&p),
            }
        };
        let delivery = super::send_queued_alerts(&shared).await;
        Ok::<_, StoreError>((runs, delivery))
    })?;
    Ok(Tested {
        target,
        endpoint,
        runs,
        delivery,
        bodies: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::file_part;

    #[test]
    fn file_names_keep_to_safe_characters() {
        assert_eq!(file_part("gpt-4o-mini"), "gpt-4o-mini");
        assert_eq!(file_part("meta/llama 3:8b"), "meta_llama_3_8b");
        assert_eq!(file_part(".."), "__");
        assert_eq!(file_part("../../etc"), ".._.._etc");
        assert_eq!(file_part(&"x".repeat(300)).len(), 80);
    }
}
