//! What the benchmarks share: the real histories of `../shared/corpus`,
//! unpacked into a temporary directory. Benchmarks that need them skip,
//! saying so, when the corpus is absent (a fresh clone has none).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The archive of history `name`, if the shared corpus is beside the clone.
pub fn corpus_archive(name: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/histories")
        .join(format!("{name}.tar.zst"));
    p.exists().then_some(p)
}

/// Unpacks history `name`; returns the temp dir (keep it alive) and the
/// history's files in order.
pub fn unpack(name: &str) -> Option<(tempfile::TempDir, Vec<PathBuf>)> {
    let archive = corpus_archive(name)?;
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
        eprintln!("could not unpack {}", archive.display());
        return None;
    }
    let files = apiradar::pipeline::import::collect_files(&[dir.path().join(name)]).ok()?;
    Some((dir, files))
}

/// The file of a history whose name starts with `prefix` (`015_`).
pub fn file_starting(files: &[PathBuf], prefix: &str) -> Option<PathBuf> {
    files
        .iter()
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .cloned()
}

/// Serves `app` on an ephemeral port of 127.0.0.1 from the current tokio
/// runtime; returns its base URL.
pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

/// What git makes of a history: each file committed in turn as one path,
/// then `git gc --aggressive` (the floor the import and storage figures
/// are compared with, measured in the same run).
pub struct GitFloor {
    /// Adding and committing every file, then the gc.
    pub seconds: f64,
    /// The blob objects alone, as stored in the pack (deltas included).
    pub blob_bytes: u64,
    /// The whole pack: blobs, trees and commits.
    pub pack_bytes: u64,
}

/// Runs git over `files`; `None` (saying why) when git is missing or fails.
pub fn git_floor(files: &[PathBuf]) -> Option<GitFloor> {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().ok()?;
    let git = |args: &[&str]| {
        Command::new("git")
            .args(["-c", "user.name=bench", "-c", "user.email=bench@localhost"])
            .args(args)
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let started = std::time::Instant::now();
    if !git(&["init", "-q"]) {
        eprintln!("git floor skipped: `git init` failed (is git installed?)");
        return None;
    }
    let target = dir.path().join("document");
    for f in files {
        std::fs::copy(f, &target).ok()?;
        git(&["add", "document"]);
        // An unchanged file makes no commit; that is what git would do.
        git(&["commit", "-q", "-m", "v"]);
    }
    if !git(&["gc", "-q", "--aggressive"]) {
        eprintln!("git floor skipped: `git gc --aggressive` failed");
        return None;
    }
    let seconds = started.elapsed().as_secs_f64();
    let out = Command::new("git")
        .args([
            "cat-file",
            "--batch-all-objects",
            "--batch-check=%(objecttype) %(objectsize:disk)",
        ])
        .current_dir(dir.path())
        .output()
        .ok()?;
    let blob_bytes = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("blob "))
        .filter_map(|n| n.trim().parse::<u64>().ok())
        .sum();
    let pack_bytes = std::fs::read_dir(dir.path().join(".git/objects/pack"))
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "pack"))
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    Some(GitFloor {
        seconds,
        blob_bytes,
        pack_bytes,
    })
}

/// `n` KiB, one decimal.
pub fn kib(n: u64) -> String {
    format!("{:.1} KiB", n as f64 / 1024.0)
}
