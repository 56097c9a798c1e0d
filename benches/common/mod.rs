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
