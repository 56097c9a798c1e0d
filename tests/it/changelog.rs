//! Changelog pages through the binary: a history of a real-looking
//! changelog page, with a navigation bar, a site header and a footer whose
//! timestamp changes on every deploy, diffs as one finding per new entry
//! with its whole text, and nothing from the site's chrome.

use serde_json::Value;

use crate::common::Sandbox;

struct Entry {
    date: &'static str,
    title: &'static str,
    body: &'static str,
}

const ENTRIES: &[Entry] = &[
    Entry {
        date: "2026-09-12",
        title: "Retiring llama-3-70b",
        body: "The model llama-3-70b will be retired on 2026-10-15. Requests naming it will fail with \
               a 410 after that date. Move to llama-3.3-70b, which has the same context length and \
               costs the same per million tokens.",
    },
    Entry {
        date: "2026-09-05",
        title: "Batch API in beta",
        body: "Batch jobs can now be submitted to /v1/batches. Results are kept for seven days and \
               jobs run within 24 hours; the endpoint is in beta and may change.",
    },
    Entry {
        date: "2026-08-28",
        title: "Image generation is faster",
        body: "Image models now answer about twice as fast at the same quality; nothing changes in \
               the requests.",
    },
    Entry {
        date: "2026-08-20",
        title: "New region",
        body: "Requests are now also served from Frankfurt for lower latency in Europe.",
    },
];

/// The page as published on `deploy`, with the `n` newest entries (of the
/// last `shown`), newest first.
fn page(deploy: &str, newest: usize, shown: usize) -> String {
    let entries: String = ENTRIES[ENTRIES.len() - newest..]
        .iter()
        .take(shown)
        .map(|e| {
            format!(
                "<article><header><h2>{} — {}</h2></header><p>{}</p></article>\n",
                e.date, e.title, e.body
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html><html><head><title>Changelog</title></head><body>\
         <header><a href=/>Home</a> <a href=/docs>Docs</a> Signed in as {deploy}</header>\
         <nav><ul><li><a href=/pricing>Pricing</a><li><a href=/status>Status {deploy}</a></ul></nav>\
         <main><h1>Changelog</h1>\n{entries}</main>\
         <footer>Last updated {deploy} · build {deploy}</footer></body></html>"
    )
}

fn findings(sb: &Sandbox, a: &str, b: &str) -> Vec<Value> {
    let out = sb
        .run(["diff", a, b, "--format", "json", "--level", "info"])
        .expect_code(0)
        .json();
    out["changes"].as_array().cloned().unwrap_or_default()
}

#[test]
fn a_changelog_history_gives_one_finding_per_new_entry_with_its_whole_text() {
    let sb = Sandbox::new();
    // Three deploys: each adds entries at the top; the page shows at most
    // three, so the oldest falls off the bottom.
    sb.write("v1.html", page("2026-08-29 10:00", 2, 3));
    sb.write("v2.html", page("2026-09-05 16:20", 3, 3));
    sb.write("v3.html", page("2026-09-12 08:05", 4, 3));
    for (a, b, new) in [("v1", "v2", &ENTRIES[1]), ("v2", "v3", &ENTRIES[0])] {
        let found = findings(&sb, &format!("files/{a}.html"), &format!("files/{b}.html"));
        assert_eq!(found.len(), 1, "{a} → {b}: {found:#?}");
        let f = &found[0];
        assert_eq!(f["id"], "changelog-entry-added", "{f:#}");
        let message = f["message"].as_str().unwrap_or("");
        // The whole entry, not an excerpt; nothing of the site's chrome.
        let flat = message.split_whitespace().collect::<Vec<_>>().join(" ");
        let body = new.body.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(&body), "{message}");
        assert!(flat.contains(new.title), "{message}");
        for noise in ["Last updated", "Signed in", "Pricing", "build"] {
            assert!(!message.contains(noise), "{noise} in {message}");
        }
    }
    // The retirement is a warning (a keyword), the beta an info.
    let retire = findings(&sb, "files/v2.html", "files/v3.html");
    assert_eq!(retire[0]["level"], "warning");
    let beta = findings(&sb, "files/v1.html", "files/v2.html");
    assert_eq!(beta[0]["level"], "info");
    // A one-line view cuts the entry, saying so.
    let text = sb.ok(["diff", "files/v2.html", "files/v3.html", "--level", "info"]);
    assert!(text.contains("new entry: ## 2026-09-12"), "{text}");
    assert!(text.contains('…'), "{text}");
    assert!(
        !text.contains("costs the same per million tokens"),
        "{text}"
    );
}

/// The page as a site renders it inside its content, where structure does
/// not tell chrome from text: a "last updated" stamp under the title and a
/// build line after the entries, both new on every deploy.
fn deployed(stamp: &str, build: &str, newest: usize) -> String {
    let entries: String = ENTRIES[ENTRIES.len() - newest..]
        .iter()
        .map(|e| {
            format!(
                "<section><h2>{} — {}</h2><p>{}</p></section>\n",
                e.date, e.title, e.body
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html><html><head><title>Changelog</title></head><body><main>\
         <h1>Changelog</h1><p>Last updated: {stamp} UTC</p>\n{entries}\
         <p>Build {build} · all systems operational</p></main></body></html>"
    )
}

/// Lines that change in every version at the same place are learnt from
/// the stored history: once they are, a deploy that changes only them is
/// not a new version, and a real entry (with dates and numbers in it)
/// still is, reported alone and in full.
#[test]
fn lines_that_change_in_every_version_are_learnt_and_left_out() {
    use crate::common::{Reply, Server};
    let sb = Sandbox::new();
    let server = Server::start();
    let publish = |stamp: &str, build: &str, newest: usize| {
        server.set("/changelog", Reply::ok(deployed(stamp, build, newest)));
    };
    let refresh = || -> Value {
        let out = sb.json(["refresh", "changes", "--json"]);
        out["watches"][0].clone()
    };
    publish("2026-08-21 09:12", "a1b2c3d", 1);
    sb.ok([
        "add",
        "changes",
        &server.url("/changelog"),
        "--kind",
        "page",
    ]);
    assert_eq!(refresh()["status"], "new");
    publish("2026-08-28 17:40", "9f8e7d6", 2);
    assert_eq!(refresh()["status"], "changed");
    // Two deploys with nothing new but the stamp and the build: the history
    // shows them changing every time, so neither is a version.
    publish("2026-08-29 08:03", "77aa001", 2);
    let r = refresh();
    assert_eq!(
        (r["status"].as_str(), r["version"].as_i64()),
        (Some("unchanged"), Some(2)),
        "{r:#}"
    );
    publish("2026-09-01 23:59", "0c0ffee", 2);
    assert_eq!(refresh()["status"], "unchanged");
    // A real entry, full of dates and numbers: a new version, one finding.
    publish("2026-09-05 16:20", "5eed5eed", 3);
    let r = refresh();
    assert_eq!(
        (r["status"].as_str(), r["version"].as_i64()),
        (Some("changed"), Some(3)),
        "{r:#}"
    );
    assert_eq!(
        r["counts"],
        serde_json::json!({"error": 0, "warning": 0, "info": 1}),
        "{r:#}"
    );
    let found = findings(&sb, "changes@2", "changes@3");
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!(f["id"], "changelog-entry-added", "{f:#}");
    let message = f["message"].as_str().unwrap_or("");
    let flat = message.split_whitespace().collect::<Vec<_>>().join(" ");
    let body = ENTRIES[1]
        .body
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(flat.contains(&body), "{message}");
    for noise in ["Last updated", "Build", "5eed5eed", "2026-09-05 16:20"] {
        assert!(!message.contains(noise), "{noise} in {message}");
    }
    // The stored versions are complete: the stamp is in what `show` prints.
    let shown = sb.ok(["show", "changes@3"]);
    assert!(
        shown.contains("Last updated: 2026-09-05 16:20 UTC"),
        "{shown}"
    );
    // Without the history (two files), the same pair reports the stamp.
    sb.write("a.html", deployed("2026-08-28 17:40", "9f8e7d6", 2));
    sb.write("b.html", deployed("2026-09-05 16:20", "5eed5eed", 3));
    let plain = findings(&sb, "files/a.html", "files/b.html");
    assert!(plain.len() > 1, "{plain:#?}");
}
