//! Values for generated requests, without the network or a model: from
//! the schema's examples, defaults and enums first, then made up within
//! its constraints by a seeded generator, realistic where a property's
//! name, format or the domain hint (`--hint`) says what it holds.

use serde_json::{Map, Number, Value, json};

use super::model::Api;

/// splitmix64: small, fast, and ours, so a seed gives the same values in
/// every build.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// A generator for one subject (an operation), independent of the
    /// others, so selecting fewer operations does not change the values
    /// of the rest.
    pub fn for_subject(seed: u64, subject: &str) -> Rng {
        Rng(seed ^ fnv1a(subject.as_bytes()))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// In `lo..=hi` (`lo` when the range is empty).
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = (hi as i128 - lo as i128 + 1) as u128;
        (lo as i128 + (self.next_u64() as u128 % span) as i128) as i64
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.range(0, items.len() as i64 - 1) as usize]
    }
}

/// FNV-1a, a stable hash for seeding.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The domain a `--hint` names: which word lists realistic values come
/// from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Hint {
    #[default]
    General,
    Commerce,
    Finance,
    People,
    Llm,
}

impl Hint {
    pub const NAMES: &'static str = "general, commerce, finance, people, llm";

    pub fn parse(s: &str) -> Result<Hint, String> {
        match s.to_ascii_lowercase().as_str() {
            "general" => Ok(Hint::General),
            "commerce" | "shop" | "ecommerce" => Ok(Hint::Commerce),
            "finance" | "payments" | "banking" => Ok(Hint::Finance),
            "people" | "crm" | "hr" => Ok(Hint::People),
            "llm" | "ai" => Ok(Hint::Llm),
            other => Err(format!(
                "unknown domain hint `{other}`: use one of {}",
                Hint::NAMES
            )),
        }
    }
}

const FIRST: &[&str] = &[
    "Ada", "Grace", "Alan", "Maria", "Kenji", "Amara", "Lars", "Sofia",
];
const LAST: &[&str] = &[
    "Lovelace", "Hopper", "Turing", "Silva", "Tanaka", "Okafor", "Berg",
];
const CITIES: &[&str] = &[
    "Lisbon", "Osaka", "Nairobi", "Toronto", "Oslo", "Lyon", "Austin",
];
const COUNTRIES: &[&str] = &["PT", "JP", "KE", "CA", "NO", "FR", "US"];
const CURRENCIES: &[&str] = &["USD", "EUR", "JPY", "GBP", "CHF"];
const PRODUCTS: &[&str] = &[
    "Walnut desk",
    "Linen shirt",
    "Espresso grinder",
    "Trail shoes",
];
const COMPANIES: &[&str] = &["Acme Ltd", "Northwind", "Globex", "Initech", "Umbrella Co"];
const MODELS: &[&str] = &[
    "llama-3.3-70b",
    "qwen-2.5-coder",
    "mistral-small",
    "gpt-4o-mini",
];
const WORDS: &[&str] = &[
    "alpha", "river", "orbit", "maple", "signal", "harbor", "ember",
];
const STATUSES: &[&str] = &["active", "pending", "available"];

/// What a value is generated for.
pub struct Gen<'a> {
    pub api: &'a Api,
    pub rng: &'a mut Rng,
    pub hint: Hint,
    /// Include optional properties of objects.
    pub full: bool,
    /// Prefer the description's examples, defaults and enums.
    pub examples_first: bool,
}

/// Deepest object nesting generated; deeper properties are left out.
const MAX_DEPTH: usize = 6;
/// Array items generated at most.
const MAX_ITEMS: i64 = 3;

impl Gen<'_> {
    /// A value for `schema` (named `name`: a property or parameter name).
    pub fn value(&mut self, schema: &Value, name: &str) -> Value {
        self.value_at(schema, name, 0)
    }

    fn value_at(&mut self, schema: &Value, name: &str, depth: usize) -> Value {
        let schema = self.api.resolve(schema);
        if self.examples_first
            && let Some(v) = known_value(schema)
        {
            return v;
        }
        if let Some(v) = schema.get("const") {
            return v.clone();
        }
        if let Some(first) = schema
            .get("enum")
            .and_then(Value::as_array)
            .and_then(|e| e.iter().find(|v| !v.is_null()))
        {
            return first.clone();
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            let mut merged = Map::new();
            for member in all {
                if let Value::Object(m) = self.value_at(member, name, depth + 1) {
                    merged.extend(m);
                }
            }
            if !merged.is_empty() || schema.get("properties").is_none() {
                if let Value::Object(own) = self.object(schema, depth) {
                    merged.extend(own);
                }
                return Value::Object(merged);
            }
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(member) = schema.get(key).and_then(Value::as_array).and_then(|m| {
                m.iter()
                    .find(|s| type_of(self.api.resolve(s)) != Some("null"))
            }) {
                return self.value_at(member, name, depth + 1);
            }
        }
        match type_of(schema) {
            Some("integer") => self.integer(schema, name),
            Some("number") => self.number(schema, name),
            Some("boolean") => Value::Bool(self.rng.range(0, 1) == 1),
            Some("array") => {
                if depth >= MAX_DEPTH {
                    return json!([]);
                }
                let min = schema
                    .get("minItems")
                    .and_then(Value::as_i64)
                    .unwrap_or(1)
                    .max(0);
                let max = schema
                    .get("maxItems")
                    .and_then(Value::as_i64)
                    .unwrap_or(MAX_ITEMS)
                    .min(MAX_ITEMS.max(min));
                let n = min.max(1).min(max.max(min));
                let empty = json!({});
                let items = schema.get("items").unwrap_or(&empty);
                let singular = name.strip_suffix('s').unwrap_or(name);
                Value::Array(
                    (0..n)
                        .map(|_| self.value_at(items, singular, depth + 1))
                        .collect(),
                )
            }
            Some("object") => self.object(schema, depth),
            Some("null") => Value::Null,
            _ => Value::String(self.string(schema, name)),
        }
    }

    fn object(&mut self, schema: &Value, depth: usize) -> Value {
        let mut out = Map::new();
        if depth >= MAX_DEPTH {
            return Value::Object(out);
        }
        let required = required_of(schema);
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (key, prop) in props {
                let resolved = self.api.resolve(prop);
                if resolved.get("readOnly").and_then(Value::as_bool) == Some(true) {
                    continue;
                }
                if self.full || required.iter().any(|r| r == key) {
                    let v = self.value_at(prop, key, depth + 1);
                    out.insert(key.clone(), v);
                }
            }
        }
        Value::Object(out)
    }

    fn integer(&mut self, schema: &Value, name: &str) -> Value {
        let (lo, hi) = int_bounds(schema);
        let lname = name.to_ascii_lowercase();
        let (dlo, dhi) = if lname.contains("year") {
            (1990, 2030)
        } else if lname.contains("age") {
            (18, 90)
        } else if lname.contains("limit") || lname.contains("size") || lname.contains("count") {
            (1, 50)
        } else {
            (1, 1000)
        };
        let lo = lo.unwrap_or(dlo.min(hi.unwrap_or(dlo)));
        let hi = hi.unwrap_or(lo.max(dhi));
        let mut v = self.rng.range(lo, hi);
        if let Some(m) = schema
            .get("multipleOf")
            .and_then(Value::as_i64)
            .filter(|m| *m > 0)
        {
            v = (v / m) * m;
            if v < lo {
                v += m;
            }
        }
        Value::Number(v.into())
    }

    fn number(&mut self, schema: &Value, name: &str) -> Value {
        let lname = name.to_ascii_lowercase();
        let lo = schema.get("minimum").and_then(Value::as_f64);
        let hi = schema.get("maximum").and_then(Value::as_f64);
        let (dlo, dhi): (f64, f64) = if lname.contains("price") || lname.contains("amount") {
            (1.0, 500.0)
        } else if lname.contains("temperature") || lname.contains("top_p") {
            (0.0, 1.0)
        } else {
            (0.0, 100.0)
        };
        let lo = lo.unwrap_or(dlo.min(hi.unwrap_or(dlo)));
        let hi = hi.unwrap_or(lo.max(dhi)).max(lo);
        let cents = self
            .rng
            .range((lo * 100.0).ceil() as i64, (hi * 100.0).floor() as i64);
        Number::from_f64(cents as f64 / 100.0)
            .map(Value::Number)
            .unwrap_or_else(|| json!(0))
    }

    fn string(&mut self, schema: &Value, name: &str) -> String {
        let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
        let max = schema
            .get("maxLength")
            .and_then(Value::as_u64)
            .map(|m| m as usize);
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str)
            && let Some(simple) = SimplePattern::parse(pattern)
        {
            return simple.sample(self.rng, min, max);
        }
        let format = schema.get("format").and_then(Value::as_str).unwrap_or("");
        let s = self.realistic(format, name);
        fit_length(s, min, max, self.rng)
    }

    fn realistic(&mut self, format: &str, name: &str) -> String {
        let n = name.to_ascii_lowercase();
        let r = &mut *self.rng;
        let num = r.range(1000, 9999);
        match format {
            "date" => return format!("2025-{:02}-{:02}", r.range(1, 12), r.range(1, 28)),
            "date-time" => {
                return format!(
                    "2025-{:02}-{:02}T{:02}:{:02}:00Z",
                    r.range(1, 12),
                    r.range(1, 28),
                    r.range(0, 23),
                    r.range(0, 59)
                );
            }
            "email" => {
                return format!("{}.{}@example.com", r.pick(FIRST), r.pick(LAST)).to_lowercase();
            }
            "uuid" => {
                let (a, b) = (r.next_u64(), r.next_u64());
                return format!(
                    "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
                    a >> 32,
                    (a >> 16) & 0xffff,
                    a & 0xfff,
                    b >> 52,
                    b & 0xffff_ffff_ffff
                );
            }
            "uri" | "url" => return format!("https://example.com/{}/{num}", r.pick(WORDS)),
            "hostname" => return format!("{}.example.com", r.pick(WORDS)),
            "ipv4" => return format!("192.0.2.{}", r.range(1, 254)),
            "ipv6" => return format!("2001:db8::{:x}", r.range(1, 0xffff)),
            "byte" => return "aGVsbG8=".to_owned(),
            "password" => return format!("Pw-{num}-{}", r.pick(WORDS)),
            _ => {}
        }
        let has = |words: &[&str]| words.iter().any(|w| n.contains(w));
        if has(&["email"]) {
            format!("{}.{}@example.com", r.pick(FIRST), r.pick(LAST)).to_lowercase()
        } else if has(&["first_name", "firstname", "given"]) {
            r.pick(FIRST).to_owned()
        } else if has(&["last_name", "lastname", "surname", "family"]) {
            r.pick(LAST).to_owned()
        } else if has(&["currency"]) {
            r.pick(CURRENCIES).to_owned()
        } else if has(&["country"]) {
            r.pick(COUNTRIES).to_owned()
        } else if has(&["city"]) {
            r.pick(CITIES).to_owned()
        } else if has(&["phone"]) {
            format!("+1-555-{num}")
        } else if has(&["url", "uri", "link", "href"]) {
            format!("https://example.com/{}", r.pick(WORDS))
        } else if has(&["date"]) {
            format!("2025-{:02}-{:02}", r.range(1, 12), r.range(1, 28))
        } else if has(&["model"]) {
            r.pick(MODELS).to_owned()
        } else if has(&["company", "organization", "org"]) {
            r.pick(COMPANIES).to_owned()
        } else if has(&["status", "state"]) {
            r.pick(STATUSES).to_owned()
        } else if n == "id" || n.ends_with("_id") || n.ends_with("id") {
            format!("{}_{num}", prefix_of(&n))
        } else if has(&["name", "title", "label"]) {
            match self.hint {
                Hint::Commerce => r.pick(PRODUCTS).to_owned(),
                Hint::People => format!("{} {}", r.pick(FIRST), r.pick(LAST)),
                Hint::Finance => r.pick(COMPANIES).to_owned(),
                Hint::Llm => r.pick(MODELS).to_owned(),
                Hint::General => format!("{} {num}", r.pick(WORDS)),
            }
        } else if has(&[
            "description",
            "message",
            "content",
            "prompt",
            "text",
            "comment",
        ]) {
            match self.hint {
                Hint::Llm => "Summarise the plot of Hamlet in one sentence.".to_owned(),
                _ => format!("A {} {} for testing.", r.pick(WORDS), r.pick(WORDS)),
            }
        } else {
            format!("{}-{num}", r.pick(WORDS))
        }
    }
}

fn prefix_of(name: &str) -> String {
    let base = name.trim_end_matches("id").trim_end_matches('_');
    if base.is_empty() {
        "id".to_owned()
    } else {
        base.chars().take(8).collect()
    }
}

/// Pads or cuts `s` to fit `min..=max` characters.
fn fit_length(mut s: String, min: usize, max: Option<usize>, rng: &mut Rng) -> String {
    while s.chars().count() < min {
        s.push(char::from(b'a' + rng.range(0, 25) as u8));
    }
    if let Some(max) = max
        && s.chars().count() > max
    {
        s = s.chars().take(max).collect();
    }
    s
}

/// The description's own value for a schema: its example, first of its
/// `examples`, or its default.
pub fn known_value(schema: &Value) -> Option<Value> {
    if let Some(e) = schema.get("example") {
        return Some(e.clone());
    }
    if let Some(e) = schema
        .get("examples")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return Some(e.clone());
    }
    schema.get("default").cloned()
}

/// The first non-null `type` (3.1 allows a list).
pub fn type_of(schema: &Value) -> Option<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => Some(t.as_str()),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ if schema.get("properties").is_some() => Some("object"),
        _ if schema.get("items").is_some() => Some("array"),
        _ => None,
    }
}

pub fn required_of(schema: &Value) -> Vec<String> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// Inclusive integer bounds, exclusive ones (3.0 booleans, 3.1 numbers)
/// turned inclusive.
pub fn int_bounds(schema: &Value) -> (Option<i64>, Option<i64>) {
    let num = |k: &str| schema.get(k).and_then(Value::as_f64);
    let flag = |k: &str| schema.get(k).and_then(Value::as_bool) == Some(true);
    let mut lo = num("minimum").map(|v| v.ceil() as i64);
    let mut hi = num("maximum").map(|v| v.floor() as i64);
    if flag("exclusiveMinimum") {
        lo = lo.map(|v| v + 1);
    } else if let Some(x) = num("exclusiveMinimum") {
        lo = Some(x.floor() as i64 + 1);
    }
    if flag("exclusiveMaximum") {
        hi = hi.map(|v| v - 1);
    } else if let Some(x) = num("exclusiveMaximum") {
        hi = Some(x.ceil() as i64 - 1);
    }
    (lo, hi)
}

/// A `pattern` simple enough to make values for and to break for sure:
/// `^[class]{m,n}$`, `^[class]+$`, `^\d{n}$` and the like (one character
/// class, one quantifier, anchored at both ends).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimplePattern {
    /// Inclusive character ranges.
    ranges: Vec<(char, char)>,
    min: usize,
    max: Option<usize>,
}

impl SimplePattern {
    pub fn parse(pattern: &str) -> Option<SimplePattern> {
        let body = pattern.strip_prefix('^')?.strip_suffix('$')?;
        let (class, rest) = if let Some(rest) = body.strip_prefix("\\d") {
            (vec![('0', '9')], rest)
        } else {
            let inner_end = body.find(']')?;
            let inner = body.strip_prefix('[')?.get(..inner_end - 1)?;
            if inner.starts_with('^') || inner.contains('\\') {
                return None;
            }
            let chars: Vec<char> = inner.chars().collect();
            let mut ranges = Vec::new();
            let mut i = 0;
            while i < chars.len() {
                if i + 2 < chars.len() && chars[i + 1] == '-' {
                    ranges.push((chars[i], chars[i + 2]));
                    i += 3;
                } else {
                    ranges.push((chars[i], chars[i]));
                    i += 1;
                }
            }
            (ranges, &body[inner_end + 1..])
        };
        let (min, max) = match rest {
            "" => (1, Some(1)),
            "+" => (1, None),
            "*" => (0, None),
            q => {
                let q = q.strip_prefix('{')?.strip_suffix('}')?;
                match q.split_once(',') {
                    Some((a, "")) => (a.parse().ok()?, None),
                    Some((a, b)) => (a.parse().ok()?, Some(b.parse().ok()?)),
                    None => {
                        let n = q.parse().ok()?;
                        (n, Some(n))
                    }
                }
            }
        };
        if class.is_empty() || class.iter().any(|(a, b)| a > b) {
            return None;
        }
        Some(SimplePattern {
            ranges: class,
            min,
            max,
        })
    }

    pub fn matches(&self, s: &str) -> bool {
        let n = s.chars().count();
        n >= self.min
            && self.max.is_none_or(|m| n <= m)
            && s.chars()
                .all(|c| self.ranges.iter().any(|(a, b)| (*a..=*b).contains(&c)))
    }

    /// A matching string, also within `min_len..=max_len`.
    pub fn sample(&self, rng: &mut Rng, min_len: usize, max_len: Option<usize>) -> String {
        let lo = self.min.max(min_len);
        let hi = match (self.max, max_len) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => lo.max(8),
        }
        .max(lo);
        let n = rng.range(lo as i64, hi.min(lo + 12) as i64) as usize;
        (0..n)
            .map(|_| {
                let (a, b) = self.ranges[rng.range(0, self.ranges.len() as i64 - 1) as usize];
                char::from_u32(rng.range(a as i64, b as i64) as u32).unwrap_or(a)
            })
            .collect()
    }

    /// A string the pattern refuses.
    pub fn breaking(&self) -> String {
        for c in ['!', ' ', '#', '~', 'Z', 'z', '0'] {
            let s: String = std::iter::repeat_n(c, self.min.max(1)).collect();
            if !self.matches(&s) {
                return s;
            }
        }
        // Every candidate matched: too long always fails when bounded.
        match self.max {
            Some(m) => "0".repeat(m + 1),
            None => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_the_same_for_a_seed() {
        let a: Vec<u64> = (0..4)
            .scan(Rng::new(7), |r, _| Some(r.next_u64()))
            .collect();
        let b: Vec<u64> = (0..4)
            .scan(Rng::new(7), |r, _| Some(r.next_u64()))
            .collect();
        let c: Vec<u64> = (0..4)
            .scan(Rng::new(8), |r, _| Some(r.next_u64()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mut r = Rng::new(1);
        for _ in 0..100 {
            let v = r.range(-3, 3);
            assert!((-3..=3).contains(&v));
        }
    }

    #[test]
    fn simple_patterns_make_and_break_values() {
        let p = SimplePattern::parse("^[a-z0-9-]{3,10}$").unwrap();
        let mut r = Rng::new(3);
        for _ in 0..20 {
            let s = p.sample(&mut r, 0, None);
            assert!(p.matches(&s), "{s}");
        }
        assert!(!p.matches(&p.breaking()));
        let d = SimplePattern::parse("^\\d+$").unwrap();
        assert!(d.matches("123") && !d.matches(&d.breaking()));
        assert!(SimplePattern::parse("^(a|b)$").is_none());
        assert!(SimplePattern::parse("[a-z]+").is_none());
    }
}
