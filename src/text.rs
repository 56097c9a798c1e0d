//! Small text helpers every printer shares: one-line text, relative times,
//! byte sizes and English plurals. (Making third-party text safe to print
//! is the output sanitiser's job, not this module's.)

/// `text` on one line: line breaks and other control characters become
/// spaces, runs of white space one space, and the ends are trimmed.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = if c.is_control() || c.is_whitespace() {
            ' '
        } else {
            c
        };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    out.truncate(out.trim_end().len());
    out
}

/// A duration in seconds in its largest whole unit: `45s`, `3m`, `2h`, `5d`.
pub fn span(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// `3m ago`, `in 2h`, or `now` within five seconds, for a time (unix ms)
/// seen at `now`.
pub fn relative(ms: i64, now: i64) -> String {
    let delta = (ms - now) / 1000;
    let secs = delta.unsigned_abs();
    if secs < 5 {
        return "now".into();
    }
    if delta < 0 {
        format!("{} ago", span(secs))
    } else {
        format!("in {}", span(secs))
    }
}

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

/// `64 MiB`, `1.5 KiB`, `100 bytes`, `1 byte`: whole units without a
/// decimal, others to one.
pub fn size(n: u64) -> String {
    for (unit, name) in [(GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")] {
        if n >= unit {
            return if n.is_multiple_of(unit) {
                format!("{} {name}", n / unit)
            } else {
                format!("{:.1} {name}", n as f64 / unit as f64)
            };
        }
    }
    plural(n, "byte", "bytes")
}

/// `1 error`, `3 errors`, `0 errors`.
pub fn plural(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_folds_breaks_controls_and_runs() {
        assert_eq!(one_line("  a\r\n\tb  \u{7}c \n"), "a b c");
        assert_eq!(one_line(""), "");
        assert_eq!(one_line("ünï  cödé"), "ünï cödé");
    }

    #[test]
    fn relative_times_read_naturally() {
        let now = 1_000_000_000;
        assert_eq!(relative(now - 2_000, now), "now");
        assert_eq!(relative(now - 45_000, now), "45s ago");
        assert_eq!(relative(now - 3 * 60_000, now), "3m ago");
        assert_eq!(relative(now + 2 * 3_600_000, now), "in 2h");
        assert_eq!(relative(now - 5 * 86_400_000, now), "5d ago");
    }

    #[test]
    fn sizes_and_plurals() {
        assert_eq!(size(1), "1 byte");
        assert_eq!(size(100), "100 bytes");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(64 * MIB), "64 MiB");
        assert_eq!(size(3 * GIB + GIB / 2), "3.5 GiB");
        assert_eq!(plural(1u32, "error", "errors"), "1 error");
        assert_eq!(plural(0u32, "error", "errors"), "0 errors");
        assert_eq!(plural(2u64, "watch", "watches"), "2 watches");
    }
}
