//! Numbered migrations, applied in order when a database is opened.
//!
//! `PRAGMA user_version` holds the number of the last applied migration.
//! Each migration runs in its own transaction together with the version
//! bump, so a crash mid-migration leaves the previous schema intact.
//! Never edit a released migration; add the next one.

use std::path::Path;

use rusqlite::Connection;

use super::{Result, StoreError};

const MIGRATIONS: &[&str] = &[
    // 1: watches, blobs, versions, runs.
    r#"
    CREATE TABLE watches (
        id                   INTEGER PRIMARY KEY,
        name                 TEXT NOT NULL UNIQUE,
        kind                 TEXT NOT NULL CHECK (kind IN ('openapi', 'json', 'page')),
        location             TEXT NOT NULL,
        interval_secs        INTEGER NOT NULL CHECK (interval_secs > 0),
        -- JSON array of [name, template]; templates hold ${VAR} references,
        -- never secret values.
        headers              TEXT NOT NULL DEFAULT '[]',
        item_key             TEXT,
        paused               INTEGER NOT NULL DEFAULT 0,
        paused_reason        TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        etag                 TEXT,
        last_modified        TEXT,
        last_polled_at       INTEGER,
        next_due_at          INTEGER,
        last_outcome         TEXT,
        last_error           TEXT,
        from_config          INTEGER NOT NULL DEFAULT 0,
        created_at           INTEGER NOT NULL
    );

    -- Raw documents, addressed by the SHA-256 of their bytes and stored
    -- zstd-compressed, either whole (base IS NULL) or against the content of
    -- another blob used as a dictionary. depth is the length of that chain.
    CREATE TABLE blobs (
        id         INTEGER PRIMARY KEY,
        hash       BLOB NOT NULL UNIQUE,  -- 32 bytes
        size       INTEGER NOT NULL,
        base       INTEGER REFERENCES blobs(id),
        depth      INTEGER NOT NULL DEFAULT 0,
        -- bytes a read decompresses in all: this blob plus its chain
        chain_size INTEGER NOT NULL,
        data       BLOB NOT NULL
    );
    CREATE INDEX blobs_base ON blobs(base);

    CREATE TABLE versions (
        id             INTEGER PRIMARY KEY,
        watch_id       INTEGER NOT NULL REFERENCES watches(id) ON DELETE CASCADE,
        seq            INTEGER NOT NULL,
        fetched_at     INTEGER NOT NULL,
        -- when this row was committed; a poll that started before it was
        -- concurrent with it (see Store::record_success)
        recorded_at    INTEGER NOT NULL,
        -- when the publisher says the document is from (Last-Modified, or the
        -- date in an imported file's name)
        source_date    TEXT,
        blob_id        INTEGER NOT NULL REFERENCES blobs(id),
        canonical_hash BLOB NOT NULL,     -- SHA-256 of the canonical form
        size           INTEGER NOT NULL,
        format         TEXT NOT NULL,
        spec_version   TEXT,
        title          TEXT,
        http_status    INTEGER,
        etag           TEXT,
        last_modified  TEXT,
        content_type   TEXT,
        final_url      TEXT,
        origin         TEXT NOT NULL DEFAULT 'poll',
        UNIQUE (watch_id, seq)
    );
    CREATE INDEX versions_blob ON versions(blob_id);

    -- Every poll attempt, successful or not.
    CREATE TABLE runs (
        id          INTEGER PRIMARY KEY,
        watch_id    INTEGER NOT NULL REFERENCES watches(id) ON DELETE CASCADE,
        started_at  INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        outcome     TEXT NOT NULL CHECK (outcome IN ('new', 'changed', 'unchanged', 'failed')),
        http_status INTEGER,
        attempts    INTEGER,
        error_class TEXT,
        error       TEXT,
        version_id  INTEGER REFERENCES versions(id) ON DELETE SET NULL
    );
    CREATE INDEX runs_watch_started ON runs(watch_id, started_at);
    "#,
    // 2: finding counts of each version against its predecessor, computed
    // once when the version is stored (NULL: not compared).
    r#"
    ALTER TABLE versions ADD COLUMN errors INTEGER;
    ALTER TABLE versions ADD COLUMN warnings INTEGER;
    ALTER TABLE versions ADD COLUMN infos INTEGER;
    "#,
    // 3: endpoint health. Endpoints come from a watch's description
    // (source 'spec', replaced when the description changes) or are added
    // by hand ('manual', kept). Every check is kept for the retention
    // period; hourly rollups (count, up, a latency histogram) longer.
    r#"
    CREATE TABLE endpoints (
        id                    INTEGER PRIMARY KEY,
        watch_id              INTEGER NOT NULL REFERENCES watches(id) ON DELETE CASCADE,
        method                TEXT NOT NULL,
        url                   TEXT NOT NULL,
        path                  TEXT,
        -- JSON [[name, value], …]: required header parameters, from the
        -- description's examples (never credentials)
        headers               TEXT NOT NULL DEFAULT '[]',
        source                TEXT NOT NULL CHECK (source IN ('spec', 'manual')),
        enabled               INTEGER NOT NULL DEFAULT 1,
        -- condition expressions, one per line (see health::conditions)
        conditions            TEXT,
        -- slower than this (ms) counts as degraded
        degraded_ms           INTEGER,
        state                 TEXT NOT NULL DEFAULT 'unknown',
        consecutive_failures  INTEGER NOT NULL DEFAULT 0,
        consecutive_successes INTEGER NOT NULL DEFAULT 0,
        last_checked_at       INTEGER,
        created_at            INTEGER NOT NULL,
        UNIQUE (watch_id, method, url)
    );
    CREATE TABLE checks (
        id           INTEGER PRIMARY KEY,
        endpoint_id  INTEGER NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
        at           INTEGER NOT NULL,
        -- up | auth | warn | degraded | down
        outcome      TEXT NOT NULL,
        http_status  INTEGER,
        latency_ms   INTEGER,
        ttfb_ms      INTEGER,
        cert_days    INTEGER,
        body_size    INTEGER,
        error_class  TEXT,
        error        TEXT
    );
    CREATE INDEX checks_endpoint_at ON checks(endpoint_id, at);
    CREATE INDEX checks_at ON checks(at);
    CREATE TABLE check_rollups (
        endpoint_id  INTEGER NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
        hour         INTEGER NOT NULL,  -- unix ms at the start of the hour
        checks       INTEGER NOT NULL,
        up           INTEGER NOT NULL,  -- checks that counted as up
        -- latency histogram: little-endian u32 counts per bucket
        -- (health::LATENCY_BUCKETS)
        latencies    BLOB NOT NULL,
        PRIMARY KEY (endpoint_id, hour)
    ) WITHOUT ROWID;
    "#,
    // 4: alerts. Channels (where), rules (which events, for which watch or
    // all), and the outbox: one row per event and channel, written in the
    // transaction of what caused it, delivered and marked by the sender.
    r#"
    CREATE TABLE alert_channels (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE,
        kind        TEXT NOT NULL CHECK (kind IN ('webhook', 'slack', 'discord')),
        -- may hold ${VAR} references, resolved when sending
        url         TEXT NOT NULL,
        -- the environment variable with the webhook's HMAC secret
        secret_env  TEXT,
        created_at  INTEGER NOT NULL
    );
    CREATE TABLE alert_rules (
        id          INTEGER PRIMARY KEY,
        channel_id  INTEGER NOT NULL REFERENCES alert_channels(id) ON DELETE CASCADE,
        watch_id    INTEGER REFERENCES watches(id) ON DELETE CASCADE,
        event       TEXT NOT NULL
    );
    CREATE INDEX alert_rules_event ON alert_rules(event);
    CREATE TABLE alert_events (
        id               INTEGER PRIMARY KEY,
        channel_id       INTEGER NOT NULL REFERENCES alert_channels(id) ON DELETE CASCADE,
        created_at       INTEGER NOT NULL,
        event            TEXT NOT NULL,
        watch            TEXT NOT NULL,
        title            TEXT NOT NULL,
        payload          TEXT NOT NULL,
        status           TEXT NOT NULL DEFAULT 'pending'
                             CHECK (status IN ('pending', 'sent', 'failed')),
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  INTEGER NOT NULL,
        last_error       TEXT,
        sent_at          INTEGER
    );
    CREATE INDEX alert_events_due ON alert_events(status, next_attempt_at);
    -- whether a down alert went out for the endpoint (a recovery alert is
    -- due when it comes back)
    ALTER TABLE endpoints ADD COLUMN alerted_down INTEGER NOT NULL DEFAULT 0;
    "#,
    // 5: email channels (kind-specific settings as JSON), per-rule down /
    // recovered thresholds and reminders, whether each channel was told an
    // endpoint is down, and per-operation probe overrides. SQLite cannot
    // change a CHECK constraint, so alert_channels is rebuilt (migrations
    // run with foreign keys off, and are checked before they commit).
    r#"
    CREATE TABLE alert_channels_new (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE,
        kind        TEXT NOT NULL CHECK (kind IN ('webhook', 'slack', 'discord', 'email')),
        -- webhooks: may hold ${VAR} references, resolved when sending;
        -- email: the SMTP server (smtp://host:port, smtps://…)
        url         TEXT NOT NULL,
        secret_env  TEXT,
        -- JSON settings of the kind (email: from, to, user_env, …)
        options     TEXT,
        created_at  INTEGER NOT NULL
    );
    INSERT INTO alert_channels_new (id, name, kind, url, secret_env, created_at)
        SELECT id, name, kind, url, secret_env, created_at FROM alert_channels;
    DROP TABLE alert_channels;
    ALTER TABLE alert_channels_new RENAME TO alert_channels;
    -- consecutive failed / passed checks before down / recovered fire, and
    -- how often (ms) a still-down endpoint is announced again (NULL: never)
    ALTER TABLE alert_rules ADD COLUMN down_after INTEGER;
    ALTER TABLE alert_rules ADD COLUMN recovered_after INTEGER;
    ALTER TABLE alert_rules ADD COLUMN remind_every INTEGER;
    CREATE TABLE alert_downs (
        channel_id   INTEGER NOT NULL REFERENCES alert_channels(id) ON DELETE CASCADE,
        endpoint_id  INTEGER NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
        since        INTEGER NOT NULL,
        reminded_at  INTEGER NOT NULL,
        PRIMARY KEY (channel_id, endpoint_id)
    ) WITHOUT ROWID;
    INSERT OR IGNORE INTO alert_downs (channel_id, endpoint_id, since, reminded_at)
        SELECT r.channel_id, e.id, coalesce(e.last_checked_at, 0), coalesce(e.last_checked_at, 0)
        FROM endpoints e JOIN alert_rules r
          ON r.event IN ('down', 'recovered') AND (r.watch_id IS NULL OR r.watch_id = e.watch_id)
        WHERE e.alerted_down = 1;
    -- operations the user turned on (a POST, say) or off for probing,
    -- kept across description changes
    CREATE TABLE endpoint_overrides (
        watch_id  INTEGER NOT NULL REFERENCES watches(id) ON DELETE CASCADE,
        method    TEXT NOT NULL,
        path      TEXT NOT NULL,
        enabled   INTEGER NOT NULL,
        PRIMARY KEY (watch_id, method, path)
    ) WITHOUT ROWID;
    "#,
    // 6: prompt-caching tests. A target is a provider endpoint with its
    // models; each run tests one model and keeps every test's result and
    // every request's usage as evidence (requests are pruned after the
    // retention period, results kept). Per model: failure streaks,
    // cooldown, and whether its identical test ever passed.
    r#"
    CREATE TABLE cache_targets (
        id           INTEGER PRIMARY KEY,
        name         TEXT NOT NULL UNIQUE,
        profile      TEXT NOT NULL,
        base_url     TEXT NOT NULL,
        -- the environment variable with the key, never the key
        api_key_env  TEXT,
        -- JSON list of model names
        models       TEXT NOT NULL,
        -- JSON: overrides of the profile and the suite's settings
        settings     TEXT NOT NULL DEFAULT '{}',
        paused       INTEGER NOT NULL DEFAULT 0,
        created_at   INTEGER NOT NULL
    );
    CREATE TABLE cache_runs (
        id           INTEGER PRIMARY KEY,
        target_id    INTEGER NOT NULL REFERENCES cache_targets(id) ON DELETE CASCADE,
        model        TEXT NOT NULL,
        started_at   INTEGER NOT NULL,
        finished_at  INTEGER NOT NULL,
        -- cached / prompt tokens over the requests expected to hit
        hit_rate     REAL,
        tokens       INTEGER NOT NULL,
        saved_usd    REAL NOT NULL DEFAULT 0,
        -- why the suite stopped early (budget), if it did
        stopped      TEXT,
        simulated    INTEGER NOT NULL DEFAULT 0,
        -- the account's balance before the run, where the provider tells
        balance      TEXT
    );
    CREATE INDEX cache_runs_by_model ON cache_runs(target_id, model, started_at);
    CREATE TABLE cache_results (
        id        INTEGER PRIMARY KEY,
        run_id    INTEGER NOT NULL REFERENCES cache_runs(id) ON DELETE CASCADE,
        test      TEXT NOT NULL,
        verdict   TEXT NOT NULL CHECK (verdict IN ('pass', 'fail', 'inconclusive')),
        summary   TEXT NOT NULL,
        hit_rate  REAL,
        cold_ms   INTEGER,
        warm_ms   INTEGER,
        saved_usd REAL NOT NULL DEFAULT 0
    );
    CREATE INDEX cache_results_run ON cache_results(run_id);
    CREATE TABLE cache_requests (
        id                     INTEGER PRIMARY KEY,
        result_id              INTEGER NOT NULL REFERENCES cache_results(id) ON DELETE CASCADE,
        at                     INTEGER NOT NULL,
        label                  TEXT NOT NULL,
        http_status            INTEGER,
        latency_ms             INTEGER NOT NULL,
        prompt_tokens          INTEGER,
        cached_tokens          INTEGER,
        cache_creation_tokens  INTEGER,
        completion_tokens      INTEGER,
        error                  TEXT,
        retries                INTEGER NOT NULL DEFAULT 0,
        -- the JSON body sent (the key is never in it)
        request                TEXT NOT NULL
    );
    CREATE INDEX cache_requests_result ON cache_requests(result_id);
    CREATE INDEX cache_requests_at ON cache_requests(at);
    CREATE TABLE cache_models (
        target_id             INTEGER NOT NULL REFERENCES cache_targets(id) ON DELETE CASCADE,
        model                 TEXT NOT NULL,
        consecutive_failures  INTEGER NOT NULL DEFAULT 0,
        consecutive_successes INTEGER NOT NULL DEFAULT 0,
        cooldown_until        INTEGER,
        identical_passed      INTEGER NOT NULL DEFAULT 0,
        identical_failures    INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (target_id, model)
    ) WITHOUT ROWID;
    "#,
    // 7: every delivery attempt of an alert, not only the last error.
    r#"
    CREATE TABLE alert_attempts (
        id        INTEGER PRIMARY KEY,
        event_id  INTEGER NOT NULL REFERENCES alert_events(id) ON DELETE CASCADE,
        at        INTEGER NOT NULL,
        ok        INTEGER NOT NULL,
        error     TEXT
    );
    CREATE INDEX alert_attempts_event ON alert_attempts(event_id);
    "#,
    // 8: alert channels and caching targets declared in a config file,
    // like watches. One dropped from the file is switched off, not
    // deleted, so its history stays. A check's connection time, and the
    // body an endpoint is probed with.
    r#"
    ALTER TABLE alert_channels ADD COLUMN from_config INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE alert_channels ADD COLUMN disabled TEXT;
    ALTER TABLE cache_targets ADD COLUMN from_config INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE cache_targets ADD COLUMN paused_reason TEXT;
    -- the time a check spent opening its connection (DNS, TCP and TLS);
    -- NULL when it reused one
    ALTER TABLE checks ADD COLUMN connect_ms INTEGER;
    -- the body a probe sends: from the description's example, or given by
    -- hand (may hold ${VAR} references, resolved when probing)
    ALTER TABLE endpoints ADD COLUMN body TEXT;
    ALTER TABLE endpoints ADD COLUMN body_type TEXT;
    ALTER TABLE endpoints ADD COLUMN from_config INTEGER NOT NULL DEFAULT 0;
    "#,
    // Delivery leases, so that any number of runners on one database (two
    // `run`s, the dashboard and a cron `refresh`) send each alert once: a
    // runner claims a pending row by setting lease_owner and lease_until in
    // one statement before it sends, and clears them when it records the
    // attempt. A lease left by a killed runner expires at lease_until and
    // the row is claimed again. And a channel's own delivery timeout (NULL:
    // the default).
    r#"
    ALTER TABLE alert_events ADD COLUMN lease_owner TEXT;
    ALTER TABLE alert_events ADD COLUMN lease_until INTEGER;
    ALTER TABLE alert_channels ADD COLUMN timeout_ms INTEGER;
    "#,
    // Probing is opt-in per watch. A watch's described endpoints are probed
    // only once the user turns health on for it (`add --health`, `health
    // NAME --enable-all`, the dashboard, `health = true` in a watch file);
    // databases from before start with it off for every watch, so an
    // upgrade never starts probing anything the user did not ask for
    // (endpoints added by hand stay on: adding one was consent). An
    // operation turned on by hand is keyed on its server and body too: a
    // new version that moves it or changes its body holds it until the
    // user confirms.
    r#"
    CREATE TABLE watch_health (
        watch_id       INTEGER PRIMARY KEY REFERENCES watches(id) ON DELETE CASCADE,
        -- the watch's described endpoints are probed
        probe          INTEGER NOT NULL DEFAULT 0,
        -- private and loopback targets allowed (--allow-private)
        allow_private  INTEGER NOT NULL DEFAULT 0
    );
    -- the server (base URL) and the SHA-256 of the body an operation turned
    -- on by hand was confirmed with; NULL: taken from the next discovery
    ALTER TABLE endpoint_overrides ADD COLUMN server TEXT;
    ALTER TABLE endpoint_overrides ADD COLUMN body_sha256 TEXT;
    -- why a described endpoint waits for the user's confirmation
    ALTER TABLE endpoints ADD COLUMN held TEXT;
    UPDATE endpoints SET enabled = 0 WHERE source = 'spec';
    "#,
    // Catalog and changelog watches: a watch's comparison options (ignored
    // fields, price paths, level overrides, keywords) as one JSON object,
    // and an alert rule's filters on the findings it carries (check id and
    // path globs, JSON; NULL: every finding).
    r#"
    ALTER TABLE watches ADD COLUMN options TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE alert_rules ADD COLUMN filters TEXT;
    "#,
    // Blobs are written at a fast zstd level and recompressed at a high
    // one later, off the write path: `level` says which (NULL: written
    // before levels were kept; such blobs are left as they are). An import
    // stores its versions first and leaves the comparison with each
    // predecessor to the worker: `counts_pending` marks the versions whose
    // finding counts are still to come.
    r#"
    ALTER TABLE blobs ADD COLUMN level INTEGER;
    ALTER TABLE versions ADD COLUMN counts_pending INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX versions_counts_pending ON versions(counts_pending) WHERE counts_pending = 1;
    "#,
    // Live response drift (see store/drift.rs): one row per distinct drift
    // of an operation (folded: first and last seen, count; cleared_at set
    // when a validated response no longer shows it), the latest check of
    // each operation, the observed shape of its responses per day (no
    // bodies), and json watches audited against a described operation.
    r#"
    CREATE TABLE drift_findings (
        id               INTEGER PRIMARY KEY,
        watch_id         INTEGER NOT NULL REFERENCES watches(id) ON DELETE CASCADE,
        operation        TEXT NOT NULL,
        check_id         TEXT NOT NULL,
        level            TEXT NOT NULL,
        pattern          TEXT NOT NULL,
        instance_pointer TEXT NOT NULL,
        schema_pointer   TEXT NOT NULL,
        message          TEXT NOT NULL,
        sample           TEXT,
        status           TEXT NOT NULL,
        first_seen       INTEGER NOT NULL,
        last_seen        INTEGER NOT NULL,
        count            INTEGER NOT NULL DEFAULT 1,
        cleared_at       INTEGER,
        UNIQUE (watch_id, operation, check_id, pattern, schema_pointer, status)
    );
    CREATE TABLE conform_state (
        watch_id     INTEGER NOT NULL REFERENCES watches(id) ON DELETE CASCADE,
        operation    TEXT NOT NULL,
        checked_at   INTEGER NOT NULL,
        note         TEXT,
        validated_at INTEGER,
        PRIMARY KEY (watch_id, operation)
    );
    CREATE TABLE response_shapes (
        watch_id   INTEGER NOT NULL REFERENCES watches(id) ON DELETE CASCADE,
        operation  TEXT NOT NULL,
        day        INTEGER NOT NULL,
        shape      TEXT NOT NULL,
        responses  INTEGER NOT NULL,
        last_seen  INTEGER NOT NULL,
        PRIMARY KEY (watch_id, operation, day)
    );
    CREATE TABLE catalog_audits (
        watch_id   INTEGER PRIMARY KEY REFERENCES watches(id) ON DELETE CASCADE,
        spec       TEXT NOT NULL,
        operation  TEXT NOT NULL
    );
    "#,
];

/// The schema version this build writes.
pub const CURRENT: i64 = MIGRATIONS.len() as i64;

pub fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > CURRENT {
        return Err(StoreError::TooNew {
            path: path.display().to_string(),
            found,
            known: CURRENT,
        });
    }
    if found == CURRENT {
        return Ok(());
    }
    // A migration may rebuild a table that others reference; with foreign
    // keys on, dropping it would cascade. They are off while migrating (the
    // pragma is ignored inside a transaction) and checked before each
    // commit.
    let fk: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
    conn.pragma_update(None, "foreign_keys", "off")?;
    let result = apply(conn, found);
    conn.pragma_update(None, "foreign_keys", fk)?;
    result
}

fn apply(conn: &mut Connection, found: i64) -> Result<()> {
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let number = index as i64 + 1;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Another process may have migrated while we waited for the lock.
        let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if now >= number {
            tx.commit()?;
            continue;
        }
        tx.execute_batch(sql)?;
        let dangling: i64 =
            tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })?;
        if dangling > 0 {
            return Err(StoreError::Migration {
                number,
                reason: format!("{dangling} rows would reference missing rows"),
            });
        }
        tx.pragma_update(None, "user_version", number)?;
        tx.commit()?;
        tracing::info!(migration = number, "applied database migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_once_and_refuse_newer_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        let mut conn = Connection::open(&path).unwrap();
        migrate(&mut conn, &path).unwrap();
        migrate(&mut conn, &path).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, CURRENT);
        conn.pragma_update(None, "user_version", CURRENT + 1)
            .unwrap();
        assert!(matches!(
            migrate(&mut conn, &path),
            Err(StoreError::TooNew { .. })
        ));
    }

    /// Migration 5 rebuilds `alert_channels`, which rules and the outbox
    /// reference with ON DELETE CASCADE: their rows must all survive.
    #[test]
    fn rebuilding_a_referenced_table_keeps_its_dependents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        let mut conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "foreign_keys", "on").unwrap();
        for sql in &MIGRATIONS[..4] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 4).unwrap();
        conn.execute_batch(
            "INSERT INTO watches (id, name, kind, location, interval_secs, created_at)
                 VALUES (1, 'api', 'json', 'http://x/', 60, 0);
             INSERT INTO endpoints (id, watch_id, method, url, source, created_at, alerted_down)
                 VALUES (1, 1, 'GET', 'http://x/h', 'manual', 0, 1);
             INSERT INTO alert_channels (id, name, kind, url, created_at)
                 VALUES (1, 'hook', 'webhook', 'http://x/hook', 0);
             INSERT INTO alert_rules (channel_id, watch_id, event) VALUES (1, NULL, 'down');
             INSERT INTO alert_events (channel_id, created_at, event, watch, title, payload,
                 next_attempt_at) VALUES (1, 0, 'down', 'api', 't', '{}', 0);",
        )
        .unwrap();
        migrate(&mut conn, &path).unwrap();
        let count = |table: &str| -> i64 {
            conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(count("alert_channels"), 1);
        assert_eq!(count("alert_rules"), 1);
        assert_eq!(count("alert_events"), 1);
        // The endpoint that was announced down is down for its channel.
        assert_eq!(count("alert_downs"), 1);
        // Foreign keys are back on, and still point at the rebuilt table.
        let fk: i64 = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
        conn.execute("DELETE FROM alert_channels", []).unwrap();
        assert_eq!(count("alert_events"), 0);
    }
}
