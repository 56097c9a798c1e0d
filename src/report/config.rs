//! `apiradar config --show` (the dashboard adds its own part:
//! [`crate::tui::settings_text`]).

use crate::app::settings::ConfigView;
use crate::text;

/// Where apiradar's files are, and the settings in effect.
pub fn config_text(v: &ConfigView) -> String {
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line(format!("database     {}", v.paths.db.display()));
    line(format!("config dir   {}", v.paths.config_dir.display()));
    line(format!("logs         {}", v.paths.log_dir.display()));
    line(format!(
        "watch file   {}",
        v.file
            .as_ref()
            .map_or("(none; pass --config FILE)".into(), |p| p
                .display()
                .to_string())
    ));
    if let Some((watches, channels, targets)) = v.declares {
        line(format!(
            "declares     {}, {}, {}",
            text::count(watches, "watch", "watches"),
            text::count(channels, "alert channel", "alert channels"),
            text::count(targets, "caching target", "caching targets"),
        ));
    }
    line(format!(
        "max body     {}",
        super::human_size(v.fetch.max_body as i64)
    ));
    line(format!(
        "timeout      {}",
        humantime::format_duration(v.fetch.timeout)
    ));
    line(format!(
        "connect      {}",
        humantime::format_duration(v.fetch.connect_timeout)
    ));
    line(format!(
        "concurrency  {} (at most {} per host)",
        v.worker.concurrency, v.worker.per_host
    ));
    line(format!(
        "auto-pause   after {} failed polls in a row",
        v.worker.policy.pause_after
    ));
    line(format!(
        "health       every {}, raw checks kept {}",
        humantime::format_duration(v.health.every),
        humantime::format_duration(v.health.retention)
    ));
    out
}
