//! Alerts: events written to the outbox with what caused them, exactly
//! once per threshold crossing; delivery with retries to a webhook on
//! 127.0.0.1 that fails at first; signatures; survival across a restart;
//! the `alert` and `alerts` commands.

use std::sync::{Arc, Mutex};

use crate::common::{Reply, Sandbox, Server};
use apiradar::alert::{Sender, deliver_due};
use apiradar::health::record_check;
use apiradar::store::Store;
use apiradar::store::alerts::{AlertEvent, ChannelKind, OutboxStatus};
use apiradar::store::health::{CheckOutcome, CheckRecord};
use apiradar::watch::{Kind, WatchSpec};

fn check(at: i64, up: bool) -> CheckRecord {
    CheckRecord {
        at,
        outcome: Some(if up {
            CheckOutcome::Up
        } else {
            CheckOutcome::Down
        }),
        http_status: Some(if up { 200 } else { 503 }),
        latency_ms: Some(12),
        error: (!up).then(|| "HTTP 503".to_string()),
        ..CheckRecord::default()
    }
}

/// A watch with one endpoint and a webhook channel at `hook` for
/// `events`; returns the endpoint's id.
fn watched_endpoint(store: &mut Store, hook: &str, events: &[AlertEvent]) -> i64 {
    let w = store
        .add_watch(
            &WatchSpec::new("api", Kind::Json, "http://127.0.0.1:9/m"),
            false,
        )
        .expect("watch");
    let e = store
        .add_manual_endpoint(w.id, "GET", "http://127.0.0.1:9/health", &[], None)
        .expect("endpoint");
    store
        .add_channel("hook", ChannelKind::Webhook, hook, None, events, None)
        .expect("channel");
    e.id
}

#[test]
fn down_and_recovered_fire_once_per_crossing() {
    let mut store = Store::open_in_memory().expect("store");
    let e = watched_endpoint(
        &mut store,
        "http://127.0.0.1:9/hook",
        &[AlertEvent::Down, AlertEvent::Recovered],
    );
    let events = |store: &Store| -> Vec<String> {
        let mut h: Vec<String> = store
            .alert_history(100)
            .expect("history")
            .into_iter()
            .map(|o| o.event.to_string())
            .collect();
        h.reverse();
        h
    };
    // Two failures: within the threshold, nothing.
    for t in 0..2 {
        record_check(&mut store, e, &check(t, false)).expect("check");
    }
    assert!(events(&store).is_empty());
    // The third crosses it: one `down`; more failures add nothing.
    for t in 2..6 {
        record_check(&mut store, e, &check(t, false)).expect("check");
    }
    assert_eq!(events(&store), ["down"]);
    // One success is not a recovery; the second is, once.
    record_check(&mut store, e, &check(6, true)).expect("check");
    assert_eq!(events(&store), ["down"]);
    for t in 7..10 {
        record_check(&mut store, e, &check(t, true)).expect("check");
    }
    assert_eq!(events(&store), ["down", "recovered"]);
    // A flap shorter than the threshold raises nothing.
    for (t, up) in [(10, false), (11, false), (12, true), (13, false)] {
        record_check(&mut store, e, &check(t, up)).expect("check");
    }
    assert_eq!(events(&store), ["down", "recovered"]);
    let payload = &store.alert_history(10).expect("history")[1].payload;
    assert!(
        payload["text"]
            .as_str()
            .unwrap_or("")
            .contains("failed 3 checks in a row"),
        "{payload:#}"
    );
}

#[test]
fn each_channel_has_its_own_thresholds_and_reminders() {
    use apiradar::store::alerts::{NewChannel, Thresholds};
    let mut store = Store::open_in_memory().expect("store");
    // `hook`: the defaults (3 down, 2 recovered, no reminders).
    let e = watched_endpoint(
        &mut store,
        "http://127.0.0.1:9/hook",
        &[AlertEvent::Down, AlertEvent::Recovered],
    );
    // `pager`: down after 5, recovered after 1, reminded every 10 minutes.
    store
        .add_channel_with(&NewChannel {
            name: "pager",
            kind: ChannelKind::Webhook,
            url: "http://127.0.0.1:9/pager",
            events: &[AlertEvent::Down, AlertEvent::Recovered],
            thresholds: Thresholds {
                down_after: 5,
                recovered_after: 1,
                remind_every_ms: Some(600_000),
            },
            ..NewChannel::default()
        })
        .expect("channel");
    let pager = store.channel("pager").expect("pager");
    assert_eq!(pager.thresholds.down_after, 5);
    assert_eq!(pager.thresholds.remind_every_ms, Some(600_000));
    let sent = |store: &Store| -> Vec<(String, String, bool)> {
        let mut h: Vec<_> = store
            .alert_history(100)
            .expect("history")
            .into_iter()
            .map(|o| {
                (
                    o.channel,
                    o.event.to_string(),
                    o.payload["reminder"] == true,
                )
            })
            .collect();
        h.reverse();
        h
    };
    let minute = 60_000;
    // Failures a minute apart: `hook` hears at the third, `pager` at the fifth.
    for t in 0..4 {
        record_check(&mut store, e, &check(t * minute, false)).expect("check");
    }
    assert_eq!(sent(&store), [("hook".into(), "down".into(), false)]);
    record_check(&mut store, e, &check(4 * minute, false)).expect("check");
    assert_eq!(sent(&store).len(), 2);
    assert_eq!(sent(&store)[1], ("pager".into(), "down".into(), false));
    // Still down: `pager` is reminded once every 10 minutes, `hook` never.
    for t in 5..=25 {
        record_check(&mut store, e, &check(t * minute, false)).expect("check");
    }
    let reminders: Vec<_> = sent(&store).into_iter().filter(|r| r.2).collect();
    assert_eq!(reminders.len(), 2, "{reminders:?}");
    assert!(reminders.iter().all(|r| r.0 == "pager" && r.1 == "down"));
    let latest = &store.alert_history(1).expect("history")[0];
    assert!(latest.title.ends_with("is still down"), "{}", latest.title);
    assert!(
        latest.payload["text"]
            .as_str()
            .unwrap_or("")
            .contains("down for 0h 20m"),
        "{:#}",
        latest.payload
    );
    // One success recovers `pager`; `hook` needs two.
    record_check(&mut store, e, &check(26 * minute, true)).expect("check");
    let after: Vec<_> = sent(&store).into_iter().skip(4).collect();
    assert_eq!(after, [("pager".into(), "recovered".into(), false)]);
    record_check(&mut store, e, &check(27 * minute, true)).expect("check");
    let after: Vec<_> = sent(&store).into_iter().skip(4).collect();
    assert_eq!(
        after,
        [
            ("pager".into(), "recovered".into(), false),
            ("hook".into(), "recovered".into(), false)
        ]
    );
}

#[test]
fn delivery_retries_until_the_receiver_accepts_and_survives_a_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("a.db");
    let server = Server::start();
    server.set("/hook", Reply::status(500, "not now"));
    {
        let mut store = Store::open(&db).expect("store");
        let e = watched_endpoint(&mut store, &server.url("/hook"), &[AlertEvent::Down]);
        for t in 0..3 {
            record_check(&mut store, e, &check(t, false)).expect("check");
        }
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let sender = Sender::new(std::time::Duration::from_secs(5)).expect("sender");
    let open = || Arc::new(Mutex::new(Store::open(&db).expect("store")));
    let now = apiradar::store::now_ms();

    // The receiver fails: the row stays pending with the error and a retry time.
    let shared = open();
    assert_eq!(runtime.block_on(deliver_due(&shared, &sender, now)), 0);
    let row = shared
        .lock()
        .expect("lock")
        .alert_history(1)
        .expect("history")[0]
        .clone();
    assert_eq!((row.status.as_str(), row.attempts), ("pending", 1));
    assert!(row.last_error.as_deref().unwrap_or("").contains("500"));
    assert!(row.next_attempt_at > now);
    // Not due yet: nothing is sent.
    assert_eq!(runtime.block_on(deliver_due(&shared, &sender, now)), 0);
    assert_eq!(server.hits("/hook"), 1);
    drop(shared);

    // "Restart": a new connection finds the pending row and delivers it once.
    server.set("/hook", Reply::ok("thanks"));
    let shared = open();
    let later = now + 3_600_000;
    assert_eq!(runtime.block_on(deliver_due(&shared, &sender, later)), 1);
    assert_eq!(runtime.block_on(deliver_due(&shared, &sender, later)), 0);
    assert_eq!(server.hits("/hook"), 2);
    let row = shared
        .lock()
        .expect("lock")
        .alert_history(1)
        .expect("history")[0]
        .clone();
    assert_eq!((row.status.as_str(), row.attempts), ("sent", 2));
    let seen = server.last_request("/hook");
    assert_eq!(seen.method, "POST");
    // Every attempt is on record, the failure with its error.
    let attempts = shared
        .lock()
        .expect("lock")
        .alert_attempts(row.id)
        .expect("attempts");
    assert_eq!(attempts.len(), 2);
    assert!(!attempts[0].ok && attempts[0].error.as_deref().unwrap_or("").contains("500"));
    assert!(attempts[1].ok && attempts[1].error.is_none());
    // The history view reads them for many alerts at once, the same.
    let many = shared
        .lock()
        .expect("lock")
        .attempts_of(&[row.id, row.id + 1000])
        .expect("attempts");
    assert_eq!(many.get(&row.id), Some(&attempts));
    assert!(!many.contains_key(&(row.id + 1000)));
}

#[test]
fn commands_add_test_and_list_channels_with_signed_bodies() {
    let sb = Sandbox::new();
    let server = Server::start();
    server.set("/hook", Reply::ok("ok"));
    server.set("/slack", Reply::ok("ok"));
    // A Slack URL must come from the environment.
    let out = sb
        .run(["alert", "add", "team", "--slack", &server.url("/slack")])
        .expect_code(2);
    assert!(out.stderr.contains("${SLACK_WEBHOOK}"), "{}", out.stderr);
    sb.ok([
        "alert",
        "add",
        "team",
        "--slack",
        "${TEAM_SLACK_URL}",
        "--on",
        "breaking,down",
    ]);
    sb.ok([
        "alert",
        "add",
        "ci",
        "--webhook",
        &server.url("/hook"),
        "--secret-env",
        "HOOK_SECRET",
    ]);
    let out = sb
        .run([
            "alert",
            "add",
            "odd",
            "--webhook",
            "http://x",
            "--on",
            "sometimes",
        ])
        .expect_code(2);
    assert!(out.stderr.contains("unknown event"), "{}", out.stderr);

    let slack_url = server.url("/slack");
    sb.run_with(["alert", "test", "team"], |c| {
        c.env("TEAM_SLACK_URL", &slack_url);
    })
    .expect_code(0);
    assert_eq!(server.hits("/slack"), 1);

    // Without its secret the webhook fails and says why; with it, signed.
    let out = sb.run(["alert", "test", "ci"]).expect_code(1);
    assert!(
        out.stderr.contains("HOOK_SECRET is not set"),
        "{}",
        out.stderr
    );
    sb.run_with(["alert", "test", "ci"], |c| {
        c.env("HOOK_SECRET", "s3cret");
    })
    .expect_code(0);
    let seen = server.last_request("/hook");
    let signature = seen.header("x-apiradar-signature").unwrap_or("");
    assert!(
        signature.starts_with("sha256=") && signature.len() == 71,
        "{signature}"
    );

    let list = sb.json(["alert", "list", "--json"]);
    assert_eq!(list["channels"].as_array().map(Vec::len), Some(2));
    let history = sb.json(["alerts", "--json"]);
    let statuses: Vec<&str> = history["alerts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["status"].as_str())
        .collect();
    // ci's first test waits for its retry; the rest were sent.
    assert_eq!(
        statuses.iter().filter(|s| **s == "sent").count(),
        2,
        "{history:#}"
    );
    assert!(
        !sb.files_containing(b"s3cret")
            .iter()
            .any(|p| p.starts_with(sb.root()))
    );
}

#[test]
fn a_breaking_version_queues_an_alert_with_the_diff_command() {
    let sb = Sandbox::new();
    let server = Server::start();
    let spec = |extra: &str| {
        format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n  /a:\n    get:\n      responses:\n        '200': {{description: ok}}\n{extra}"
        )
    };
    server.set(
        "/openapi.yaml",
        Reply::ok(spec(
            "  /b:\n    get:\n      responses:\n        '200': {description: ok}\n",
        )),
    );
    sb.ok(["add", "api", &server.url("/openapi.yaml")]);
    sb.ok([
        "alert",
        "add",
        "hook",
        "--webhook",
        &server.url("/hook"),
        "--on",
        "breaking,change",
    ]);
    server.set("/hook", Reply::ok("thanks"));
    sb.ok(["refresh", "api"]);
    server.set("/openapi.yaml", Reply::ok(spec("")));
    sb.ok(["refresh", "api"]);
    // `refresh` delivered what it queued: no dashboard or `run` needed.
    assert_eq!(server.hits("/hook"), 2);
    let history = sb.json(["alerts", "--json"]);
    let alerts = history["alerts"].as_array().cloned().unwrap_or_default();
    let events: Vec<&str> = alerts.iter().filter_map(|a| a["event"].as_str()).collect();
    assert_eq!(events, ["breaking", "change"], "{history:#}");
    assert_eq!(alerts[0]["attempt_log"][0]["ok"], true, "{history:#}");
    // One alert with its attempts.
    let id = alerts[0]["id"].as_i64().unwrap_or(0).to_string();
    let one = sb.ok(["alerts", &id]);
    assert!(one.contains("status  sent after 1 attempt\n"), "{one}");
    assert!(one.contains("delivered"), "{one}");
    sb.run(["alerts", "999"]).expect_code(2);
    assert_eq!(
        alerts[0]["payload"]["command"], "apiradar diff api@1 api@2",
        "{history:#}"
    );
    // The message names the finding, its operation and path.
    let finding = &alerts[0]["payload"]["findings"][0];
    assert_eq!(finding["id"], "api-path-removed-without-deprecation");
    assert_eq!(
        (&finding["operation"], &finding["path"]),
        (&"GET".into(), &"/b".into())
    );
    let text = alerts[0]["payload"]["text"].as_str().unwrap_or("");
    assert!(
        text.contains("- error api-path-removed-without-deprecation: GET /b: "),
        "{text}"
    );
    assert!(text.ends_with("See `apiradar diff api@1 api@2`."), "{text}");
    assert!(alerts.iter().all(|a| a["status"] == "sent"), "{history:#}");
}

/// `apiradar run` is SIGKILLed while it is delivering an alert (the
/// receiver holds the request open). The alert is still pending after the
/// kill, claimed by the dead run until its lease expires; then it is
/// delivered once by the next run, and a third run sends nothing.
#[cfg(unix)]
#[test]
fn an_alert_in_flight_at_a_kill_is_delivered_once_after_restart() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let sb = Sandbox::new();
    let server = Server::start();
    server.set("/hook", Reply::ok("late").delay(Duration::from_secs(60)));
    {
        let mut store = Store::open(&sb.db()).expect("store");
        let e = watched_endpoint(&mut store, &server.url("/hook"), &[AlertEvent::Down]);
        // Keep the background from polling or probing anything during the test.
        store.pause_watch("api", "test").expect("pause");
        for t in 0..3 {
            record_check(&mut store, e, &check(t, false)).expect("check");
        }
    }
    let run = |args: &[&str]| {
        sb.process()
            .arg("run")
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("apiradar run")
    };
    let wait_for = |what: &str, done: &dyn Fn() -> bool| {
        let start = Instant::now();
        while !done() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "timed out: {what}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let row = || {
        Store::open(&sb.db())
            .expect("store")
            .alert_history(1)
            .expect("history")[0]
            .clone()
    };

    let mut first = run(&[]);
    wait_for("the first delivery attempt", &|| server.hits("/hook") == 1);
    first.kill().expect("SIGKILL");
    first.wait().expect("reaped");
    let pending = row();
    assert_eq!((pending.status.as_str(), pending.attempts), ("pending", 0));
    // The dead run's claim holds until it expires (the channel's timeout
    // plus a margin, 45 s by default, so that no live sender is ever
    // overtaken); a restart does not wait that long here: the lease is
    // moved into the past, as if the time had passed.
    let lease = Store::open(&sb.db())
        .expect("store")
        .alert_lease(pending.id)
        .expect("lease");
    assert!(lease.is_some(), "the row was claimed before it was sent");
    rusqlite::Connection::open(sb.db())
        .expect("open the database")
        .execute(
            "UPDATE alert_events SET lease_until = 1 WHERE id = ?1",
            [pending.id],
        )
        .expect("expire the lease");

    server.set("/hook", Reply::ok("thanks"));
    let mut second = run(&["--for", "20s"]);
    wait_for("the delivery after restart", &|| {
        row().status == OutboxStatus::Sent
    });
    second.kill().expect("stop");
    second.wait().expect("reaped");
    assert_eq!(server.hits("/hook"), 2);
    // Both attempts carry the same delivery id, so a receiver can tell.
    let ids: Vec<String> = server
        .requests("/hook")
        .iter()
        .map(|r| r.header("x-apiradar-delivery").unwrap_or("").to_string())
        .collect();
    assert_eq!(ids, [pending.id.to_string(), pending.id.to_string()]);

    let third = run(&["--for", "3s"]).wait_with_output().expect("third run");
    assert!(third.status.success());
    assert_eq!(server.hits("/hook"), 2, "a sent alert was sent again");
    assert_eq!(row().attempts, 1);
}

#[test]
fn channels_and_caching_targets_declared_in_a_config_file() {
    let sb = Sandbox::new();
    let server = Server::start();
    server.set("/hook", Reply::ok("ok"));
    let full = format!(
        "[[alert]]\nname = \"ops\"\nwebhook = \"{}\"\non = [\"down\", \"recovered\"]\ndown_after = 5\n\n\
         [[cache]]\nname = \"local\"\nprofile = \"llamacpp\"\nbase_url = \"{}\"\nmodels = [\"m\"]\n",
        server.url("/hook"),
        server.url("/v1")
    );
    let cfg = sb.write("apiradar.toml", &full);
    let cfg = cfg.to_str().expect("utf-8 path");

    // Any command syncs the file; the declared channel works at once.
    sb.ok(["--config", cfg, "alert", "test", "ops"]);
    assert_eq!(server.hits("/hook"), 1);
    let list = sb.json(["--config", cfg, "alert", "list", "--json"]);
    let ops = &list["channels"][0];
    assert_eq!(ops["name"], "ops");
    assert_eq!(ops["from_config"], true);
    assert_eq!(ops["thresholds"]["down_after"], 5);
    let targets = sb.json(["--config", cfg, "cache", "list", "--json"]);
    assert_eq!(targets["targets"][0]["from_config"], true);

    // Dropped from the file: switched off, with their history kept.
    sb.write("apiradar.toml", "# nothing declared\n");
    let out = sb.run(["--config", cfg, "alert", "list"]).expect_code(0);
    assert!(
        out.stderr.contains("alert channel `ops` is no longer in"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("caching target `local` is no longer in"),
        "{}",
        out.stderr
    );
    assert!(
        out.text().contains("(off: not in the config file)"),
        "{}",
        out.text()
    );
    let history = sb.json(["alerts", "--json"]);
    assert_eq!(history["alerts"].as_array().map(Vec::len), Some(1));
    let targets = sb.json(["cache", "list", "--json"]);
    assert_eq!(targets["targets"][0]["paused"], true);

    // A literal Slack URL in the file is refused, naming the file and table.
    sb.write(
        "apiradar.toml",
        "[[alert]]\nname = \"team\"\nslack = \"https://hooks.slack.test/T0/B0/token\"\n",
    );
    let out = sb.run(["--config", cfg, "alert", "list"]).expect_code(2);
    assert!(
        out.stderr.contains("apiradar.toml: alert `team`"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("token\""), "{}", out.stderr);
}

/// A channel can take only some of a watch's changes: `--only` by check
/// id, `--path` by place. A catalog's field edit reaches the channel that
/// takes everything, a price change both, a price change of another model
/// not the one that watches one model.
#[test]
fn alert_filters_pick_the_changes_a_channel_gets() {
    let sb = Sandbox::new();
    let server = Server::start();
    let catalog = |name: &str, price: f64| {
        format!(
            r#"{{"data": [{{"id": "gpt-4o", "name": "{name}", "pricing": {{"input": {price}}}}},
                          {{"id": "o3", "name": "o3", "pricing": {{"input": 2.0}}}}]}}"#
        )
    };
    server.set("/models", Reply::ok(catalog("GPT-4o", 2.5)));
    for p in ["/all", "/prices", "/gpt"] {
        server.set(p, Reply::ok("thanks"));
    }
    sb.ok(["add", "models", &server.url("/models"), "--kind", "json"]);
    sb.ok(["refresh", "models"]);
    let hook = |name: &str, path: &str, extra: &[&str]| {
        let url = server.url(path);
        let mut args = vec![
            "alert",
            "add",
            name,
            "--webhook",
            url.as_str(),
            "--on",
            "change",
        ];
        args.extend(extra);
        sb.ok(args);
    };
    hook("all", "/all", &[]);
    hook("prices", "/prices", &["--only", "catalog-price-*"]);
    hook(
        "gpt",
        "/gpt",
        &["--only", "catalog-price-*", "--path", "*[id=gpt-*"],
    );
    // Filters on a channel without change or breaking are refused.
    let refused = sb
        .run([
            "alert",
            "add",
            "bad",
            "--webhook",
            "http://127.0.0.1:9/x",
            "--on",
            "down",
            "--only",
            "catalog-*",
        ])
        .expect_code(2);
    assert!(refused.stderr.contains("change"), "{}", refused.stderr);
    let listed = sb.ok(["alert", "list"]);
    assert!(listed.contains("catalog-price-*"), "{listed}");

    server.set("/models", Reply::ok(catalog("GPT-4o (2024-08)", 2.5)));
    sb.ok(["refresh", "models"]);
    let hits = || {
        (
            server.hits("/all"),
            server.hits("/prices"),
            server.hits("/gpt"),
        )
    };
    assert_eq!(hits(), (1, 0, 0), "a name change goes to `all` only");
    server.set("/models", Reply::ok(catalog("GPT-4o (2024-08)", 3.0)));
    sb.ok(["refresh", "models"]);
    assert_eq!(hits(), (2, 1, 1), "gpt-4o's price goes to all three");
    let o3 = r#"{"data": [{"id": "gpt-4o", "name": "GPT-4o (2024-08)", "pricing": {"input": 3.0}},
                          {"id": "o3", "name": "o3", "pricing": {"input": 1.0}}]}"#;
    server.set("/models", Reply::ok(o3));
    sb.ok(["refresh", "models"]);
    assert_eq!(hits(), (3, 2, 1), "o3's price skips the gpt channel");
}

/// A channel with filters is sent only the findings that pass them, and
/// counts those: on a webhook (its JSON), Slack, Discord and email. A
/// channel without filters still gets the whole version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filtered_channels_receive_only_their_findings() {
    use crate::common::smtp::{Mode, SmtpServer};
    let mail = SmtpServer::start(Mode::Plain).await;
    let mail_url = mail.url();
    let server = Server::start();
    let sb = tokio::task::spawn_blocking(move || {
        let sb = Sandbox::new();
        let catalog = |name: &str, gpt: f64, o3: f64| {
            format!(
                r#"{{"data": [{{"id": "gpt-4o", "name": "{name}", "pricing": {{"input": {gpt}}}}},
                              {{"id": "o3", "name": "o3", "pricing": {{"input": {o3}}}}}]}}"#
            )
        };
        server.set("/models", Reply::ok(catalog("GPT-4o", 2.5, 2.0)));
        for p in ["/all", "/prices", "/slack", "/discord"] {
            server.set(p, Reply::ok("ok"));
        }
        sb.ok(["add", "models", &server.url("/models"), "--kind", "json"]);
        sb.ok(["refresh", "models"]);
        let add = |args: &[&str]| {
            let mut all = vec!["alert", "add"];
            all.extend(args);
            all.extend(["--on", "change"]);
            sb.ok(all);
        };
        add(&["all", "--webhook", &server.url("/all")]);
        add(&[
            "prices",
            "--webhook",
            &server.url("/prices"),
            "--only",
            "catalog-price-*",
        ]);
        add(&[
            "slack",
            "--slack",
            "${TEAM_SLACK_URL}",
            "--only",
            "catalog-price-*",
            "--path",
            "*gpt-4o*",
        ]);
        add(&[
            "discord",
            "--discord",
            "${TEAM_DISCORD_URL}",
            "--only",
            "catalog-price-*",
        ]);
        add(&[
            "mail",
            "--email",
            &mail_url,
            "--from",
            "apiradar <alerts@example.com>",
            "--to",
            "ops@example.com",
            "--only",
            "catalog-price-*",
        ]);
        // One version with a name change and two price changes (a rise
        // and a fall).
        server.set("/models", Reply::ok(catalog("GPT-4o (2024-08)", 3.0, 1.5)));
        let (slack, discord) = (server.url("/slack"), server.url("/discord"));
        sb.run_with(["refresh", "models"], |c| {
            c.env("TEAM_SLACK_URL", &slack)
                .env("TEAM_DISCORD_URL", &discord);
        })
        .expect_code(0);
        (sb, server)
    })
    .await
    .expect("the CLI steps");
    let (_sb, server) = sb;
    let body = |path: &str| -> serde_json::Value {
        let seen = server.last_request(path);
        serde_json::from_slice(&seen.body).expect("a JSON body")
    };

    // The channel without filters: the whole version.
    let all = body("/all");
    assert_eq!(
        all["counts"],
        serde_json::json!({"errors": 0, "warnings": 1, "infos": 2})
    );
    let text = all["text"].as_str().unwrap_or_default();
    assert!(text.contains("catalog-field-changed"), "{text}");
    assert!(all.get("filters").is_none(), "{all}");

    // The webhook with --only: the two prices, counted, of three.
    let prices = body("/prices");
    assert_eq!(
        prices["counts"],
        serde_json::json!({"errors": 0, "warnings": 1, "infos": 1})
    );
    assert_eq!(
        (prices["matched"].as_i64(), prices["total"].as_i64()),
        (Some(2), Some(3))
    );
    assert_eq!(
        prices["filters"]["only"],
        serde_json::json!(["catalog-price-*"])
    );
    let ids: Vec<&str> = prices["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["id"].as_str())
        .collect();
    assert_eq!(ids, ["catalog-price-changed", "catalog-price-changed"]);
    let text = prices["text"].as_str().unwrap_or_default();
    assert!(
        text.starts_with(
            "models has a new version #2: 2 of 3 findings match this channel's filters \
             (only catalog-price-*): 0 errors, 1 warning, 1 info."
        ),
        "{text}"
    );
    assert!(!text.contains("catalog-field-changed"), "{text}");
    assert!(!text.contains("and 1 more"), "{text}");

    // Slack with --only and --path: gpt-4o's price alone.
    let slack = body("/slack");
    let text = slack["text"].as_str().unwrap_or_default();
    assert!(text.contains("1 of 3 findings"), "{text}");
    assert!(text.contains("gpt-4o"), "{text}");
    assert!(!text.contains("o3"), "{text}");
    assert!(!text.contains("catalog-field-changed"), "{text}");

    // Discord: both prices, not the name.
    let discord = body("/discord");
    let content = discord["content"].as_str().unwrap_or_default();
    assert!(content.contains("2 of 3 findings"), "{content}");
    assert!(!content.contains("catalog\\-field\\-changed"), "{content}");
    assert!(!content.contains("catalog-field-changed"), "{content}");

    // Email: the same two findings in the message body.
    let messages = mail.messages();
    assert_eq!(messages.len(), 1, "{messages:#?}");
    let mail_body = messages[0].body().replace("=\r\n", "").replace("=\n", "");
    assert!(mail_body.contains("2 of 3 findings match"), "{mail_body}");
    assert!(mail_body.contains("catalog-price-changed"), "{mail_body}");
    assert!(!mail_body.contains("catalog-field-changed"), "{mail_body}");
}
