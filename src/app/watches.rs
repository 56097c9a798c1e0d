//! Managing watches: one validation of what a user declares (from `add`,
//! `edit`, the dashboard's add form and its `:add`), and the changes to
//! the watch list.

use std::path::Path;
use std::time::Duration;

use super::AppError;
use crate::store::{Store, StoreError};
use crate::watch::{self, Kind, Watch, WatchError, WatchSpec};

/// A watch as a user types it: text, not yet checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchInput {
    pub name: String,
    /// A URL or a file path; a relative path is taken from the folder
    /// given to [`WatchInput::check`].
    pub location: String,
    /// `openapi`, `json` or `page` (and their aliases).
    pub kind: String,
    /// How often to poll (`30s`, `5m`, `1h`); the default when `None`.
    pub every: Option<String>,
    /// `Name: value` headers.
    pub headers: Vec<String>,
    /// For json watches: the field naming list items.
    pub key: Option<String>,
    /// Header names declared non-secret (`--public-header`): their
    /// values are taken as given even when they look like credentials.
    pub public_headers: Vec<String>,
}

/// Which part of a [`WatchInput`] a problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Name,
    Location,
    Kind,
    Interval,
    Headers,
    Key,
}

/// Why one part of a watch was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error(transparent)]
    Watch(#[from] WatchError),
    /// The kind is not one apiradar knows.
    #[error("{0}")]
    Kind(String),
    /// The location can never be fetched.
    #[error("{0}")]
    Location(String),
}

impl From<InputError> for AppError {
    fn from(e: InputError) -> AppError {
        match e {
            InputError::Watch(e) => AppError::Watch(e),
            InputError::Kind(m) | InputError::Location(m) => AppError::Usage(m),
        }
    }
}

/// One problem with a watch input.
#[derive(Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: Field,
    pub error: InputError,
}

impl WatchInput {
    /// Checks every part, returning the watch it describes or every
    /// problem found, in the order `apiradar add` reports them (the first
    /// is the one the CLI names). `base` makes a relative file location
    /// absolute, so a watch means the same file from any directory.
    pub fn check(&self, base: Option<&Path>) -> Result<WatchSpec, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field, error: InputError| errors.push(FieldError { field, error });
        let kind = match parse_kind(&self.kind) {
            Ok(k) => Some(k),
            Err(e) => {
                fail(Field::Kind, e);
                None
            }
        };
        let interval = match &self.every {
            None => Some(watch::DEFAULT_INTERVAL),
            Some(every) => match watch::parse_interval(every) {
                Ok(d) => Some(d),
                Err(e) => {
                    fail(Field::Interval, e.into());
                    None
                }
            },
        };
        let headers = match parse_headers(&self.headers) {
            Ok(h) => Some(h),
            Err(e) => {
                fail(Field::Headers, e.into());
                None
            }
        };
        // The rules of `WatchSpec::validate`, field by field, so a form can
        // show each problem beside its field.
        if let Err(e) = watch::validate_name(&self.name) {
            fail(Field::Name, e.into());
        }
        let location = match base {
            Some(dir) => watch::absolute_location(&self.location, dir),
            None => self.location.clone(),
        };
        let location_ok = match location_rules(&location) {
            Ok(()) => true,
            Err(e) => {
                fail(Field::Location, e.into());
                false
            }
        };
        if let Some(d) = interval
            && let Err(e) = check_interval(d)
        {
            fail(Field::Interval, e.into());
        }
        if let Some(h) = &headers
            && let Err(e) = h
                .iter()
                .try_for_each(|(n, v)| watch::check_header(n, v, &self.public_headers))
        {
            fail(Field::Headers, e.into());
        }
        if self.key.is_some() && kind.is_some_and(|k| k != Kind::Json) {
            fail(Field::Key, WatchError::KeyWithoutJson.into());
        }
        if location_ok
            && let Err(e) =
                check_location(&location).and_then(|()| check_file(&self.location, &location))
        {
            fail(Field::Location, e);
        }
        let (Some(kind), Some(interval), Some(headers), true) =
            (kind, interval, headers, errors.is_empty())
        else {
            return Err(errors);
        };
        let mut spec = WatchSpec::new(&self.name, kind, &location);
        spec.interval = interval;
        spec.headers = headers;
        spec.item_key = self.key.clone();
        // Whatever the rules above missed, the spec's own check catches.
        spec.validate().map_err(|e| {
            vec![FieldError {
                field: Field::Location,
                error: e.into(),
            }]
        })?;
        Ok(spec)
    }

    /// [`WatchInput::check`] for a front end that reports one problem.
    pub fn to_spec(&self, base: Option<&Path>) -> Result<WatchSpec, AppError> {
        self.check(base).map_err(first_error)
    }
}

fn first_error(errors: Vec<FieldError>) -> AppError {
    match errors.into_iter().next() {
        Some(e) => e.error.into(),
        None => AppError::usage("the watch was refused"),
    }
}

pub fn parse_kind(s: &str) -> Result<Kind, InputError> {
    s.parse::<Kind>().map_err(InputError::Kind)
}

fn parse_headers(headers: &[String]) -> Result<Vec<(String, String)>, WatchError> {
    headers.iter().map(|h| watch::parse_header(h)).collect()
}

/// What `WatchSpec::validate` asks of a location.
fn location_rules(location: &str) -> Result<(), WatchError> {
    let probe = WatchSpec {
        interval: watch::MIN_INTERVAL,
        ..WatchSpec::new("x", Kind::Json, location)
    };
    probe.validate()
}

fn check_interval(interval: Duration) -> Result<(), WatchError> {
    let probe = WatchSpec {
        interval,
        ..WatchSpec::new("x", Kind::Json, "x")
    };
    probe.validate()
}

/// Refuses locations that could never be fetched, before they are stored.
fn check_location(location: &str) -> Result<(), InputError> {
    crate::fetch::Location::parse(location)
        .map(|_| ())
        .map_err(|e| InputError::Location(e.message))
}

/// A file location must name a file that is there now; a typo would
/// otherwise only show up as a failed poll later. A location without a
/// scheme that reads like a host (`127.0.0.1:8080/spec`, `example.com/x`)
/// was almost certainly meant as a URL: the refusal gives the URL. `typed`
/// is the location as the user wrote it, `location` the absolute one.
fn check_file(typed: &str, location: &str) -> Result<(), InputError> {
    let Ok(crate::fetch::Location::File(path)) = crate::fetch::Location::parse(location) else {
        return Ok(());
    };
    let error = match std::fs::metadata(&path) {
        Ok(m) if m.is_dir() => format!(
            "{} is a folder: give the file of the description inside it",
            path.display()
        ),
        Ok(_) => return Ok(()),
        Err(e) => match host_like(typed) {
            Some(url) => format!(
                "`{}` has no scheme, so it would be read as a file, and there is no such file: for a URL write `{url}`",
                typed.trim()
            ),
            None if e.kind() == std::io::ErrorKind::NotFound => format!(
                "there is no file {}: check the path, or give an http:// or https:// URL",
                path.display()
            ),
            None => format!("cannot read {}: {e}", path.display()),
        },
    };
    Err(InputError::Location(error))
}

/// The URL a scheme-less location probably meant, when its first part
/// reads like a host: `host:port` (`127.0.0.1:8080/spec`,
/// `localhost:3000`), or a domain or address followed by a path
/// (`example.com/openapi.json`, `10.0.0.5/spec`, `localhost/spec`). A host
/// with a port gets `http://`, a domain `https://`.
pub fn host_like(typed: &str) -> Option<String> {
    let typed = typed.trim();
    if typed.starts_with(['/', '.', '~', '\\']) || typed.contains("://") {
        return None;
    }
    let (first, rest) = match typed.split_once('/') {
        Some((first, rest)) => (first, Some(rest)),
        None => (typed, None),
    };
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
    };
    if let Some((host, port)) = first.rsplit_once(':') {
        let is_port =
            !port.is_empty() && port.len() <= 5 && port.chars().all(|c| c.is_ascii_digit());
        let is_host = !host.is_empty() && host.split('.').all(label_ok);
        return (is_port && is_host).then(|| format!("http://{typed}"));
    }
    rest?;
    let labels: Vec<&str> = first.split('.').collect();
    if first == "localhost" {
        return Some(format!("http://{typed}"));
    }
    if labels.len() < 2 || !labels.iter().all(|l| label_ok(l)) {
        return None;
    }
    let is_ipv4 = labels.len() == 4 && labels.iter().all(|l| l.parse::<u8>().is_ok());
    if is_ipv4 {
        return Some(format!("http://{typed}"));
    }
    let tld = labels[labels.len() - 1];
    (tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()))
        .then(|| format!("https://{typed}"))
}

/// Adds a checked watch, paused with `paused` as the reason when given.
pub fn add(store: &mut Store, spec: &WatchSpec, paused: Option<&str>) -> Result<Watch, AppError> {
    spec.validate()?;
    let watch = store.add_watch(spec, false)?;
    if let Some(reason) = paused {
        store.pause_watch(&spec.name, reason)?;
    }
    Ok(watch)
}

/// What `apiradar edit` may change; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct WatchEdit {
    pub name: String,
    pub location: Option<String>,
    pub kind: Option<String>,
    pub every: Option<String>,
    /// Replace the headers with these (when not empty).
    pub headers: Vec<String>,
    pub clear_headers: bool,
    pub key: Option<String>,
    pub clear_key: bool,
    pub rename: Option<String>,
    /// Header names declared non-secret, for the new headers.
    pub public_headers: Vec<String>,
    /// Catalog and changelog settings to change.
    pub options: OptionsInput,
}

/// A changed watch.
#[derive(Debug, Clone)]
pub struct Edited {
    pub spec: WatchSpec,
    /// It is declared in a config file, whose next sync restores it.
    pub from_config: bool,
}

/// Changes a watch; its history is kept.
pub fn edit(store: &mut Store, e: WatchEdit, base: &Path) -> Result<Edited, AppError> {
    let current = store.watch(&e.name)?;
    let mut spec = current.spec.clone();
    if let Some(l) = &e.location {
        spec.location = watch::absolute_location(l, base);
        check_location(&spec.location)?;
        check_file(l, &spec.location)?;
    }
    if let Some(k) = e.kind {
        spec.kind = parse_kind(&k)?;
    }
    if let Some(every) = e.every {
        spec.interval = watch::parse_interval(&every)?;
    }
    if e.clear_headers {
        spec.headers.clear();
    } else if !e.headers.is_empty() {
        spec.headers = parse_headers(&e.headers)?;
        // Only new headers are checked: ones stored earlier may have been
        // declared public then.
        watch::check_headers(&spec.headers, &e.public_headers)?;
    }
    if e.clear_key {
        spec.item_key = None;
    } else if let Some(k) = e.key {
        spec.item_key = Some(k);
    }
    if let Some(n) = e.rename {
        spec.name = n;
    }
    e.options.apply(&mut spec.options)?;
    spec.validate()?;
    check_location(&spec.location)?;
    if spec.name != current.spec.name && store.find_watch(&spec.name)?.is_some() {
        return Err(StoreError::WatchExists(spec.name).into());
    }
    store.update_watch(&e.name, &spec, current.from_config)?;
    Ok(Edited {
        spec,
        from_config: current.from_config,
    })
}

/// Catalog and changelog settings from the command line (`add`, `edit`,
/// `import`): what [`watch::WatchOptions`] holds, as typed.
#[derive(Debug, Clone, Default)]
pub struct OptionsInput {
    /// `--ignore-field POINTER_GLOB`: fields to add to the ignored ones.
    pub ignore_fields: Vec<String>,
    /// `edit --unignore-field`: ignored fields to drop (as written).
    pub unignore_fields: Vec<String>,
    /// `--no-key` / `--detect-key`.
    pub no_key: Option<bool>,
    /// `--price-path GLOB` (replaces the list when given).
    pub price_paths: Vec<String>,
    /// `--level-of ID=LEVEL`; `ID=default` drops an override.
    pub levels: Vec<String>,
    /// `--keywords a,b,c` (replaces the list; `default` restores it).
    pub keywords: Option<String>,
}

impl OptionsInput {
    /// Applies the settings to `options`, refusing a bad one with a usage
    /// error that names its flag.
    pub fn apply(&self, options: &mut watch::WatchOptions) -> Result<(), AppError> {
        for rule in &self.ignore_fields {
            let parsed = crate::spec::ignore::FieldGlob::parse(rule)
                .map_err(|e| AppError::usage(format!("--ignore-field: {e}")))?;
            let text = parsed.as_str().to_owned();
            if !options.ignore_fields.contains(&text) {
                options.ignore_fields.push(text);
            }
        }
        for rule in &self.unignore_fields {
            let before = options.ignore_fields.len();
            options.ignore_fields.retain(|r| r != rule.trim());
            if options.ignore_fields.len() == before {
                let known = if options.ignore_fields.is_empty() {
                    "it ignores no field".to_owned()
                } else {
                    format!("it ignores {}", options.ignore_fields.join(", "))
                };
                return Err(AppError::usage(format!(
                    "--unignore-field: `{}` is not an ignored field of this watch; {known}",
                    rule.trim()
                )));
            }
        }
        if let Some(no_key) = self.no_key {
            options.no_key = no_key;
        }
        if !self.price_paths.is_empty() {
            options.price_paths = self
                .price_paths
                .iter()
                .map(|p| p.trim().to_owned())
                .collect();
        }
        for entry in &self.levels {
            let Some((id, level)) = entry.split_once('=') else {
                return Err(AppError::usage(format!(
                    "--level-of `{entry}`: write ID=LEVEL, e.g. catalog-item-removed=warning (ID=default drops the override)"
                )));
            };
            let (id, level) = (id.trim(), level.trim().to_ascii_lowercase());
            if level == "default" {
                options.levels.remove(id);
                continue;
            }
            crate::diff::json::validate_level_override(id, &level)
                .map_err(|e| AppError::usage(format!("--level-of: {e}")))?;
            options.levels.insert(id.to_owned(), level);
        }
        if let Some(words) = &self.keywords {
            options.keywords = if words.trim() == "default" {
                None
            } else {
                Some(
                    words
                        .split(',')
                        .map(|w| w.trim().to_lowercase())
                        .filter(|w| !w.is_empty())
                        .collect(),
                )
            };
        }
        Ok(())
    }
}

/// For a new `json` watch on a local file with no key and no `--no-key`:
/// the item key its document suggests (see
/// [`crate::spec::canonical::detect_item_key`]), set on the spec. Nothing
/// for URLs: they are not fetched before the first poll, and the diff
/// detects the key then.
pub fn detect_key(spec: &mut WatchSpec) -> Option<&'static str> {
    if spec.kind != Kind::Json || spec.item_key.is_some() || spec.options.no_key {
        return None;
    }
    let Ok(crate::fetch::Location::File(path)) = crate::fetch::Location::parse(&spec.location)
    else {
        return None;
    };
    detect_key_in(&path, spec)
}

/// [`detect_key`] on a given file.
pub fn detect_key_in(path: &Path, spec: &mut WatchSpec) -> Option<&'static str> {
    if spec.kind != Kind::Json || spec.item_key.is_some() || spec.options.no_key {
        return None;
    }
    let limits = crate::spec::Limits::default();
    // The default body limit of a poll (64 MiB): a larger file would fail
    // its poll anyway.
    let meta = std::fs::metadata(path).ok()?;
    if meta.len() > 64 << 20 {
        return None;
    }
    let raw = std::fs::read(path).ok()?;
    let (doc, _) = crate::spec::parse_document(&raw, &limits).ok()?;
    let key = crate::spec::canonical::detect_item_key(&doc)?;
    spec.item_key = Some(key.to_owned());
    Some(key)
}

/// How many versions removing `name` would delete (an error when there is
/// no such watch).
pub fn version_count(store: &Store, name: &str) -> Result<i64, AppError> {
    let watch = store.watch(name)?;
    Ok(store.versions(watch.id)?.len() as i64)
}

/// Removes a watch and its history; returns how many versions went.
pub fn remove(store: &mut Store, name: &str) -> Result<i64, AppError> {
    Ok(store.remove_watch(name)?)
}

pub fn pause(store: &mut Store, name: &str, reason: &str) -> Result<(), AppError> {
    store.pause_watch(name, reason)?;
    Ok(())
}

/// Resumes a watch (also clearing an automatic pause).
pub fn resume(store: &mut Store, name: &str) -> Result<(), AppError> {
    store.resume_watch(name)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, location: &str) -> WatchInput {
        WatchInput {
            name: name.into(),
            location: location.into(),
            kind: "openapi".into(),
            ..WatchInput::default()
        }
    }

    #[test]
    fn a_good_input_becomes_a_spec() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("specs")).unwrap();
        std::fs::write(dir.path().join("specs/p.yaml"), "openapi: 3.0.0").unwrap();
        let mut i = input("petstore", "specs/p.yaml");
        i.every = Some("5m".into());
        let spec = i.check(Some(dir.path())).unwrap();
        assert_eq!(
            spec.location,
            dir.path().join("specs/p.yaml").display().to_string()
        );
        assert_eq!(spec.interval, Duration::from_secs(300));
        assert_eq!(spec.kind, Kind::OpenApi);
    }

    #[test]
    fn every_problem_is_named_with_its_field_in_cli_order() {
        let mut i = input("bad name", "https://u:pw@example.test/x");
        i.every = Some("10s".into());
        i.key = Some("id".into());
        let errors = i.check(None).unwrap_err();
        let fields: Vec<Field> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [Field::Name, Field::Location, Field::Interval, Field::Key]
        );
        assert_eq!(
            errors[1].error,
            InputError::Watch(WatchError::CredentialsInUrl)
        );
        assert!(matches!(
            errors[2].error,
            InputError::Watch(WatchError::IntervalTooShort { .. })
        ));
    }

    #[test]
    fn parse_errors_come_first_as_the_cli_reported_them() {
        let mut i = input("ok", "https://example.test/x");
        i.kind = "soap".into();
        i.every = Some("soon".into());
        i.headers = vec!["nocolon".into()];
        let errors = i.check(None).unwrap_err();
        assert_eq!(errors[0].field, Field::Kind);
        assert_eq!(
            i.to_spec(None).unwrap_err().to_string(),
            "unknown kind `soap`: expected openapi, json or page"
        );
        assert_eq!(errors[1].field, Field::Interval);
        assert_eq!(errors[2].field, Field::Headers);
    }

    #[test]
    fn secrets_in_headers_and_unfetchable_locations_are_refused() {
        let mut i = input("ok", "https://example.test/x");
        i.headers = vec!["Authorization: Bearer sk-123".into()];
        let errors = i.check(None).unwrap_err();
        assert_eq!(errors[0].field, Field::Headers);
        let i = input("ok", "ftp://example.test/x");
        let errors = i.check(None).unwrap_err();
        assert_eq!(errors[0].field, Field::Location);
        assert!(matches!(errors[0].error, InputError::Location(_)));
        assert!(matches!(i.to_spec(None), Err(AppError::Usage(_))));
    }

    #[test]
    fn userinfo_and_credential_headers_are_refused_unless_public() {
        let i = input("ok", "http://sekrit@example.test/x");
        let errors = i.check(None).unwrap_err();
        assert_eq!(errors[0].field, Field::Location);
        assert!(!errors[0].error.to_string().contains("sekrit"));
        let mut i = input("ok", "https://example.test/x");
        i.headers = vec!["X-Client: q8Zr2Lk9Wm3Xv7Tn4Pb6Yc1H".into()];
        assert_eq!(i.check(None).unwrap_err()[0].field, Field::Headers);
        i.public_headers = vec!["X-Client".into()];
        assert!(i.check(None).is_ok());
    }

    #[test]
    fn a_missing_file_and_a_host_without_scheme_are_refused_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let message = |location: &str| match input("x", location).to_spec(Some(dir.path())) {
            Err(AppError::Usage(m)) => m,
            other => panic!("{location}: expected a usage error, got {other:?}"),
        };
        let m = message("./nope.yaml");
        assert!(
            m.contains("there is no file") && m.contains("nope.yaml"),
            "{m}"
        );
        let m = message("127.0.0.1:8080/spec");
        assert!(m.contains("write `http://127.0.0.1:8080/spec`"), "{m}");
        let m = message("example.com/x");
        assert!(m.contains("write `https://example.com/x`"), "{m}");
        let m = message(".");
        assert!(m.contains("is a folder"), "{m}");
        // A file wins over a name that only looks like a host.
        std::fs::create_dir(dir.path().join("example.com")).unwrap();
        std::fs::write(dir.path().join("example.com/x"), "{}").unwrap();
        assert!(input("x", "example.com/x").check(Some(dir.path())).is_ok());
    }

    #[test]
    fn what_reads_like_a_host() {
        for (typed, url) in [
            ("127.0.0.1:8080/spec", Some("http://127.0.0.1:8080/spec")),
            ("localhost:3000", Some("http://localhost:3000")),
            ("localhost/spec", Some("http://localhost/spec")),
            ("10.0.0.5/spec", Some("http://10.0.0.5/spec")),
            (
                "api.example.com/v1/openapi.json",
                Some("https://api.example.com/v1/openapi.json"),
            ),
            ("openapi.yaml", None),
            ("specs/openapi.yaml", None),
            ("specs.v2/openapi.yaml", None),
            ("./example.com/x", None),
            ("/srv/example.com/x", None),
            ("C:/specs/x.yaml", None),
        ] {
            assert_eq!(host_like(typed).as_deref(), url, "{typed}");
        }
    }

    #[test]
    fn add_edit_pause_resume_remove() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("db")).unwrap();
        let spec = input("a", "https://example.test/a").to_spec(None).unwrap();
        add(&mut store, &spec, Some("added paused")).unwrap();
        assert!(store.watch("a").unwrap().paused);
        assert!(matches!(
            add(&mut store, &spec, None),
            Err(AppError::Store(StoreError::WatchExists(_)))
        ));
        resume(&mut store, "a").unwrap();
        assert!(!store.watch("a").unwrap().paused);
        let b = input("b", "https://example.test/b").to_spec(None).unwrap();
        add(&mut store, &b, None).unwrap();
        let clash = WatchEdit {
            name: "a".into(),
            rename: Some("b".into()),
            ..WatchEdit::default()
        };
        assert!(matches!(
            edit(&mut store, clash, Path::new("/")),
            Err(AppError::Store(StoreError::WatchExists(_)))
        ));
        let change = WatchEdit {
            name: "a".into(),
            every: Some("2h".into()),
            rename: Some("c".into()),
            ..WatchEdit::default()
        };
        let edited = edit(&mut store, change, Path::new("/")).unwrap();
        assert_eq!(edited.spec.interval, Duration::from_secs(7200));
        assert!(!edited.from_config);
        pause(&mut store, "c", "why not").unwrap();
        assert_eq!(
            store.watch("c").unwrap().paused_reason.as_deref(),
            Some("why not")
        );
        assert_eq!(remove(&mut store, "c").unwrap(), 0);
        assert!(store.find_watch("c").unwrap().is_none());
    }
}
