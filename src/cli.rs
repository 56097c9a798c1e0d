//! Command-line arguments. Parsing only: `main.rs` dispatches to the library.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "apiradar",
    version,
    about = "Watch third-party APIs: spec versions, breaking changes, endpoint health.",
    long_about = "apiradar fetches API descriptions (OpenAPI/Swagger), JSON documents such as \
                  model catalogs, and changelog pages on a schedule, keeps every version in \
                  SQLite, and tells what changed.\n\nExit codes: 0 success (also when \
                  the reader of the output goes away, as with `| head`), 1 a poll or \
                  operation failed, 2 usage error, 3 findings at the `refresh --fail-on` \
                  level; the dashboard stopped by SIGTERM, SIGHUP or SIGINT exits with \
                  128 + the signal's number after restoring the terminal.",
    propagate_version = true
)]
pub struct Cli {
    /// Database file [default: the platform data directory]
    #[arg(long, global = true, env = "APIRADAR_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Config file (TOML: watches, endpoints, alert channels, caching targets) synced into the database before the command runs
    #[arg(long, global = true, env = "APIRADAR_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Log to stderr too (-v debug, -vv trace)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Without a command, the dashboard opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add a watch
    Add(AddArgs),
    /// Change a watch (its history is kept)
    Edit(EditArgs),
    /// List watches with their status
    List(JsonArg),
    /// Remove a watch and its history (asks first on a terminal)
    Remove {
        name: String,
        /// Do not ask; needed when there is no terminal to ask on
        #[arg(long, short)]
        yes: bool,
    },
    /// Stop polling a watch
    Pause {
        name: String,
        /// Shown in listings
        #[arg(long, default_value = "paused by user")]
        reason: String,
    },
    /// Resume a paused watch (also clears an automatic pause)
    Resume { name: String },
    /// Poll due watches (or the named ones, or all) once and exit
    Refresh(RefreshArgs),
    /// List the stored versions of a watch
    History {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Print a stored version as published (NAME, NAME@3, NAME@latest~1)
    Show {
        #[arg(value_name = "NAME[@VERSION]")]
        target: String,
    },
    /// Compare two API descriptions: files, URLs or stored versions (NAME@3, NAME@latest~1)
    Diff(DiffArgs),
    /// Backfill versions from files or folders of files (taken in name order)
    Import(ImportArgs),
    /// Probe the endpoints of watched APIs now and print their health (exit 1 if any is down)
    Health(HealthArgs),
    /// Live responses against the description: open drift per endpoint (exit 1 on an error-level drift)
    Conform(ConformArgs),
    /// Alert channels: add, list, remove, test
    #[command(subcommand)]
    Alert(AlertCommand),
    /// LLM prompt-caching targets: add, list, remove, models, history
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Run the prompt-caching tests on a target now (exit 1 if a test that should pass fails)
    CacheTest(CacheTestArgs),
    /// The alerts sent, pending and failed, newest first
    Alerts {
        /// Show this alert with every delivery attempt
        id: Option<i64>,
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Poll, probe and send alerts in the background until stopped, without the dashboard (for servers)
    Run(RunArgs),
    /// Run apiradar against its embedded demo API (no network needed)
    Demo(DemoArgs),
    /// Print the resolved paths and settings
    Config {
        /// Show paths and settings (the default)
        #[arg(long)]
        show: bool,
    },
    /// Print shell completions
    Completions { shell: Shell },
    /// The items of a stored catalog (a json watch): search, filter, sort; one item in full or across every version
    Catalog(CatalogArgs),
    /// Generate test suites from a description (Postman, pytest, Node, JUnit, .http), or run them
    Tests(TestsArgs),
    /// An SDK maintainer's checklist of what changed between two versions
    Tasks(TasksArgs),
    /// Reference docs of one version (Markdown or one HTML file)
    Docs(DocsArgs),
}

#[derive(Debug, Args)]
pub struct CatalogArgs {
    /// The watch, and optionally its version (NAME@3, NAME@latest~1) [default: the latest]
    #[arg(value_name = "NAME[@VERSION]")]
    pub target: String,
    /// One item, by its key (e.g. a model id), shown in full
    pub item: Option<String>,
    /// Items with this text in their key or any text field (case-insensitive)
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Items whose field compares so: 'pricing.input < 2', 'context >= 128000', 'modality = image', 'name ~ llama' (repeatable; all must hold)
    #[arg(long = "where", value_name = "CONDITION")]
    pub wheres: Vec<String>,
    /// Sort by this field (-FIELD: descending) [default: the key]
    #[arg(long, value_name = "FIELD", allow_hyphen_values = true)]
    pub sort: Option<String>,
    /// Comma-separated fields to show after the key
    #[arg(long, value_name = "FIELDS")]
    pub columns: Option<String>,
    /// Print JSON (the items in full)
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV of the columns
    #[arg(long)]
    pub csv: bool,
    /// With ITEM: its values in every stored version, oldest first, or only FIELD's
    #[arg(long, value_name = "FIELD", num_args = 0..=1, default_missing_value = "", requires = "item")]
    pub history: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Elvish,
    Powershell,
}

#[derive(Debug, Args)]
pub struct JsonArg {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// A name for the watch (letters, digits, - _ .)
    pub name: String,
    /// An http(s) URL or a local file path
    pub location: String,
    /// What the document is
    #[arg(long, default_value = "openapi", value_parser = ["openapi", "json", "page"])]
    pub kind: String,
    /// Poll interval (minimum 30s)
    #[arg(long, default_value = "1h", value_name = "DURATION")]
    pub every: String,
    /// Request header; put secrets in environment variables: 'Authorization: Bearer ${API_KEY}'
    #[arg(long = "header", short = 'H', value_name = "'NAME: VALUE'")]
    pub headers: Vec<String>,
    /// For json watches: the field that identifies list items (e.g. id)
    #[arg(long, value_name = "FIELD")]
    pub key: Option<String>,
    /// A header whose value is not secret, taken as given even if it looks like a credential (repeatable)
    #[arg(long = "public-header", value_name = "NAME")]
    pub public_headers: Vec<String>,
    /// Add it paused
    #[arg(long)]
    pub paused: bool,
    /// Probe the endpoints its description lists (off unless given; see `apiradar health --enable-all`)
    #[arg(long)]
    pub health: bool,
    /// Let its described endpoints reach private and loopback addresses
    #[arg(long)]
    pub allow_private: bool,
    /// For json watches: validate every polled document against this operation's response in a stored description (--schema venice@latest 'GET /models'); drift shows in `apiradar conform NAME`
    #[arg(long, num_args = 2, value_names = ["NAME[@VERSION]", "METHOD /PATH"])]
    pub schema: Option<Vec<String>>,
    #[command(flatten)]
    pub options: WatchOptionArgs,
}

/// Catalog and changelog settings of a watch (`add`, `edit`, `import`).
#[derive(Debug, Args, Default, Clone)]
pub struct WatchOptionArgs {
    /// For json watches: a field left out when deciding whether a version is new and when diffing, as a pointer glob (`/data/*/pricing/checked_at`, `/**/updated_at`; repeatable). The stored document keeps it
    #[arg(long = "ignore-field", value_name = "POINTER_GLOB")]
    pub ignore_fields: Vec<String>,
    /// For json watches: compare lists by position, never by a detected item key
    #[arg(long, conflicts_with = "key")]
    pub no_key: bool,
    /// For json watches: which item fields hold prices, as globs on their dotted path (`pricing.*`; repeatable) [default: fields named like price or cost]
    #[arg(long = "price-path", value_name = "GLOB")]
    pub price_paths: Vec<String>,
    /// Change the level of a check id for this watch: ID=LEVEL (`catalog-item-removed=warning`; ID=default drops it; repeatable)
    #[arg(long = "level-of", value_name = "ID=LEVEL")]
    pub levels: Vec<String>,
    /// For page watches: comma-separated words that raise a new changelog entry to a warning [default: deprecat, remove, breaking, sunset, retire, end of life, migrate, price]
    #[arg(long, value_name = "WORDS")]
    pub keywords: Option<String>,
}

impl From<&WatchOptionArgs> for app::watches::OptionsInput {
    fn from(a: &WatchOptionArgs) -> Self {
        app::watches::OptionsInput {
            ignore_fields: a.ignore_fields.clone(),
            no_key: a.no_key.then_some(true),
            price_paths: a.price_paths.clone(),
            levels: a.levels.clone(),
            keywords: a.keywords.clone(),
            ..app::watches::OptionsInput::default()
        }
    }
}

#[derive(Debug, Args)]
pub struct EditArgs {
    pub name: String,
    #[arg(long)]
    pub location: Option<String>,
    #[arg(long, value_parser = ["openapi", "json", "page"])]
    pub kind: Option<String>,
    #[arg(long, value_name = "DURATION")]
    pub every: Option<String>,
    /// Replace the headers with these (repeat for several)
    #[arg(long = "header", short = 'H', value_name = "'NAME: VALUE'")]
    pub headers: Vec<String>,
    /// Remove all headers
    #[arg(long, conflicts_with = "headers")]
    pub clear_headers: bool,
    /// A header whose value is not secret, taken as given even if it looks like a credential (repeatable)
    #[arg(long = "public-header", value_name = "NAME")]
    pub public_headers: Vec<String>,
    #[arg(long, value_name = "FIELD")]
    pub key: Option<String>,
    /// Remove the item key
    #[arg(long, conflicts_with = "key")]
    pub clear_key: bool,
    /// Give the watch a new name
    #[arg(long, value_name = "NEW_NAME")]
    pub rename: Option<String>,
    /// Stop ignoring a field given earlier with --ignore-field (as written; repeatable)
    #[arg(long = "unignore-field", value_name = "POINTER_GLOB")]
    pub unignore_fields: Vec<String>,
    /// Detect the item key again after --no-key
    #[arg(long, conflicts_with = "no_key")]
    pub detect_key: bool,
    /// For json watches: validate every polled document against this operation's response in a stored description
    #[arg(long, num_args = 2, value_names = ["NAME[@VERSION]", "METHOD /PATH"])]
    pub schema: Option<Vec<String>>,
    /// Stop validating polled documents against a description
    #[arg(long, conflicts_with = "schema")]
    pub no_schema: bool,
    #[command(flatten)]
    pub options: WatchOptionArgs,
}

#[derive(Debug, Args)]
pub struct RefreshArgs {
    /// Watches to poll now, due or not [default: the due ones]
    pub names: Vec<String>,
    /// Poll every watch that is not paused
    #[arg(long, conflicts_with = "names")]
    pub all: bool,
    #[arg(long)]
    pub json: bool,
    /// Largest body accepted (e.g. 64MiB)
    #[arg(long, value_name = "SIZE")]
    pub max_body: Option<String>,
    /// Whole-request timeout (e.g. 60s)
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// Exit 3 when a new version has a finding at or above this level
    #[arg(long, value_parser = ["warning", "error"])]
    pub fail_on: Option<String>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The watch; created if it does not exist
    pub name: String,
    /// Files, or folders whose document files are imported in name order
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Kind for a new watch [default: openapi if the first file is one, else json]
    #[arg(long, value_parser = ["openapi", "json", "page"])]
    pub kind: Option<String>,
    /// Item key for a new json watch
    #[arg(long, value_name = "FIELD")]
    pub key: Option<String>,
    /// Location for a new watch [default: the last file imported]
    #[arg(long)]
    pub location: Option<String>,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub options: WatchOptionArgs,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Stop after this long [default: until Ctrl-C or SIGTERM]
    #[arg(long = "for", value_name = "DURATION")]
    pub run_for: Option<String>,
    /// Print only failures and alerts, not every change and health round
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// How long each phase of the demo API lasts
    #[arg(long, default_value = "20s", value_name = "DURATION")]
    pub step: String,
    /// How often the demo watches are polled
    #[arg(long, default_value = "5s", value_name = "DURATION")]
    pub every: String,
    /// Stop after this long [default: run until Ctrl-C] (headless only)
    #[arg(long = "for", value_name = "DURATION")]
    pub run_for: Option<String>,
    /// Print what happens instead of opening the dashboard (the default when stdout is not a terminal)
    #[arg(long)]
    pub headless: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Markdown,
    Json,
    /// JUnit XML for CI test reports
    Junit,
    /// GitHub Actions annotations (workflow commands)
    Github,
    /// A self-contained HTML page
    Html,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older description: a file, an http(s) URL, or NAME@VERSION
    pub base: String,
    /// The newer description
    pub revision: String,
    #[arg(long, value_enum, default_value = "text")]
    pub format: DiffFormat,
    /// The lowest level shown [default: warning for OpenAPI, info for json and page]
    #[arg(long, value_parser = ["info", "warning", "error"])]
    pub level: Option<String>,
    /// What the documents are [default: the watch's kind for NAME@N, else detected]
    #[arg(long, value_parser = ["openapi", "json", "page"])]
    pub kind: Option<String>,
    /// For json: the field that identifies list items [default: the watch's, else detected: id, name, slug or key]
    #[arg(long, value_name = "FIELD")]
    pub key: Option<String>,
    /// For json: compare lists by position, never by a detected key
    #[arg(long, conflicts_with = "key")]
    pub no_key: bool,
    /// Exit 1 when a finding at or above this level remains
    #[arg(long, value_parser = ["warning", "error"])]
    pub fail_on: Option<String>,
    /// One line per finding and operation (text and markdown) instead of one entry per root cause
    #[arg(long)]
    pub flat: bool,
    /// Markdown: trim to this many bytes, saying what was left out (a GitHub comment holds 65,536 characters)
    #[arg(long, value_name = "BYTES", default_value_t = apiradar::report::groups::MARKDOWN_MAX_BYTES)]
    pub max_bytes: usize,
    /// Drop findings matched by this file: fingerprints, `ID [METHOD] [/PATH]` rules, or oasdiff `METHOD /path text` lines
    #[arg(long, value_name = "FILE")]
    pub ignore: Option<PathBuf>,
    /// Change levels by check id from this file: `ID error|warning|info|none` per line
    #[arg(long, value_name = "FILE")]
    pub severity_levels: Option<PathBuf>,
    /// Deprecating a beta operation, parameter or property needs a sunset date at least this many days ahead [default: 0, no policy]
    #[arg(long, value_name = "DAYS", default_value_t = 0)]
    pub deprecation_days_beta: u32,
    /// The same for stable ones (and those without `x-stability-level`)
    #[arg(long, value_name = "DAYS", default_value_t = 0)]
    pub deprecation_days_stable: u32,
    /// Follow `$ref`s to http(s) URLs (references to local files next to a file are always followed)
    #[arg(long)]
    pub allow_remote_refs: bool,
    /// Leave out operations whose `x-stability-level` is below this on both sides (none means stable)
    #[arg(long, value_name = "LEVEL", value_parser = ["draft", "alpha", "beta", "stable"])]
    pub stability_level: Option<String>,
}

#[derive(Debug, Args)]
pub struct TestsArgs {
    /// The description: NAME[@VERSION], a file or an http(s) URL
    #[arg(value_name = "NAME[@REF]|FILE")]
    pub target: Option<String>,
    /// Only the operations that changed from A to B (B is the description)
    #[arg(long, num_args = 2, value_names = ["A", "B"])]
    pub changed: Option<Vec<String>>,
    /// Output formats, several allowed: postman, pytest, node, junit, http
    #[arg(long, value_delimiter = ',', default_value = "postman")]
    pub format: Vec<String>,
    /// Write the files into this folder
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write the files into this ZIP archive
    #[arg(long, value_name = "FILE")]
    pub zip: Option<PathBuf>,
    /// Cases per operation (at most)
    #[arg(long, default_value_t = 10)]
    pub cases: usize,
    /// Seed of the value generator: the same seed gives the same files
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Only operations matching 'METHOD /path' (`*` within a segment, `**` across); repeatable
    #[arg(long, value_name = "PATTERN")]
    pub only: Vec<String>,
    /// Domain of realistic values: general, commerce, finance, people, llm
    #[arg(long, value_name = "DOMAIN")]
    pub hint: Option<String>,
    /// Run the cases against this base URL; print a JUnit report (stdout) and a summary (stderr)
    #[arg(long, value_name = "BASE_URL")]
    pub run: Option<String>,
    /// With --run: send other methods than GET and HEAD too
    #[arg(long)]
    pub allow_unsafe: bool,
    /// With --run: allow loopback and private addresses though the base URL is not on one
    #[arg(long)]
    pub allow_private: bool,
}

#[derive(Debug, Args)]
pub struct TasksArgs {
    /// The older description: NAME@VERSION, a file or a URL
    pub base: String,
    /// The newer description
    pub revision: String,
    #[arg(long, value_parser = ["markdown", "json"], default_value = "markdown")]
    pub format: String,
    /// A file of `METHOD /path` lines a client already covers: tasks of other operations (except new ones) are left out
    #[arg(long, value_name = "FILE")]
    pub implemented: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DocsArgs {
    /// The description: NAME[@VERSION], a file or an http(s) URL
    #[arg(value_name = "NAME[@REF]|FILE")]
    pub target: String,
    #[arg(long, value_parser = ["markdown", "html"], default_value = "markdown")]
    pub format: String,
    /// Mark what changed since this version (NAME@VERSION, a file or a URL)
    #[arg(long, value_name = "REF")]
    pub since: Option<String>,
    /// Write into this folder (api.md or api.html) instead of stdout
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ConformArgs {
    /// The watch
    pub name: String,
    /// Only this endpoint, as 'METHOD /path' (the path as the description writes it)
    #[arg(long, value_name = "'METHOD /path'")]
    pub endpoint: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// Watches to check [default: every active watch]
    pub names: Vec<String>,
    #[arg(long)]
    pub json: bool,
    /// Add an endpoint of the (one) named watch to probe, then check
    #[arg(long, value_name = "URL")]
    pub add: Option<String>,
    /// The method of an endpoint added with --add (GET and HEAD are safe; others only if you mean it)
    #[arg(long, default_value = "GET", requires = "add")]
    pub method: String,
    /// A condition the added endpoint must meet, e.g. 'status == 200', 'latency < 800ms', 'body.$.status == "ok"' (repeatable)
    #[arg(long = "condition", value_name = "EXPR", requires = "add")]
    pub conditions: Vec<String>,
    /// Slower than this counts as degraded [default: 2s]
    #[arg(long, value_name = "DURATION")]
    pub degraded_after: Option<String>,
    /// A header the added endpoint is probed with; secrets as references: 'Authorization: Bearer ${TOKEN}' (repeatable)
    #[arg(
        long = "header",
        short = 'H',
        value_name = "'NAME: VALUE'",
        requires = "add"
    )]
    pub headers: Vec<String>,
    /// The body the added endpoint is sent, or @FILE to read it (may hold ${VAR} references, resolved when probing)
    #[arg(long, value_name = "TEXT|@FILE", requires = "add")]
    pub body: Option<String>,
    /// The media type of --body
    #[arg(
        long,
        value_name = "TYPE",
        default_value = "application/json",
        requires = "body"
    )]
    pub body_type: String,
    /// Also trust this CA certificate (PEM), for private or self-signed servers
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Per-request timeout
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub timeout: String,
    /// Probe a described operation of another method too, e.g. 'POST /search' (repeatable; needs one watch name)
    #[arg(long, value_name = "'METHOD /path'")]
    pub enable: Vec<String>,
    /// Stop probing a described operation, e.g. 'GET /export' (repeatable; needs one watch name)
    #[arg(long, value_name = "'METHOD /path'")]
    pub disable: Vec<String>,
    /// Undo --enable or --disable for an operation (repeatable; needs one watch name)
    #[arg(long, value_name = "'METHOD /path'")]
    pub reset: Vec<String>,
    /// List the described operations that are not probed, and why, instead of checking
    #[arg(long)]
    pub skipped: bool,
    /// Turn health on for the (one) named watch: probe the endpoints its description lists
    #[arg(long, conflicts_with = "disable_all")]
    pub enable_all: bool,
    /// Turn health off for the (one) named watch: stop probing its described endpoints
    #[arg(long)]
    pub disable_all: bool,
    /// Let the (one) named watch's described endpoints reach private and loopback addresses
    #[arg(long, conflicts_with = "deny_private")]
    pub allow_private: bool,
    /// Only public addresses for the (one) named watch's described endpoints (the default)
    #[arg(long)]
    pub deny_private: bool,
}

#[derive(Debug, Subcommand)]
pub enum AlertCommand {
    /// Add a channel: where alerts go, and on which events
    Add(Box<AlertAddArgs>),
    /// List channels with their events
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a channel (its sent history goes with it)
    Remove { name: String },
    /// Send a test alert to a channel now
    Test { name: String },
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["webhook", "slack", "discord", "email"])))]
pub struct AlertAddArgs {
    pub name: String,
    /// A generic webhook: JSON POSTs (may hold ${VAR} references)
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    /// A Slack incoming webhook, as a ${VAR} reference (its URL is a secret)
    #[arg(long, value_name = "URL")]
    pub slack: Option<String>,
    /// A Discord webhook, as a ${VAR} reference (its URL is a secret)
    #[arg(long, value_name = "URL")]
    pub discord: Option<String>,
    /// Email through an SMTP server: smtp://host[:587] (STARTTLS), smtps://host[:465] (TLS), or smtp://host:25?tls=none for a local relay
    #[arg(long, value_name = "SMTP_URL", requires_all = ["from", "to"])]
    pub email: Option<String>,
    /// For --email: the sender, e.g. 'apiradar <alerts@example.com>'
    #[arg(long, value_name = "ADDRESS", requires = "email")]
    pub from: Option<String>,
    /// For --email: recipients (repeatable, or comma-separated)
    #[arg(
        long,
        value_name = "ADDRESS",
        value_delimiter = ',',
        requires = "email"
    )]
    pub to: Vec<String>,
    /// For --email: the environment variable with the SMTP user name
    #[arg(long, value_name = "VAR", requires_all = ["email", "smtp_password_env"])]
    pub smtp_user_env: Option<String>,
    /// For --email: the environment variable with the SMTP password
    #[arg(long, value_name = "VAR", requires_all = ["email", "smtp_user_env"])]
    pub smtp_password_env: Option<String>,
    /// For --email: also trust this CA certificate (PEM), for a private or self-signed server
    #[arg(long, value_name = "FILE", requires = "email")]
    pub ca_cert: Option<PathBuf>,
    /// For --webhook: the environment variable whose value signs each body (HMAC-SHA256)
    #[arg(long, value_name = "VAR")]
    pub secret_env: Option<String>,
    /// Events: breaking, change, down, recovered, paused
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "breaking,down,recovered,paused"
    )]
    pub on: Vec<String>,
    /// Only for this watch [default: every watch]
    #[arg(long, value_name = "NAME")]
    pub watch: Option<String>,
    /// Failed checks in a row before `down` fires
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub down_after: u32,
    /// Passed checks in a row, after `down`, before `recovered` fires
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub recovered_after: u32,
    /// Repeat `down` this often while the endpoint stays down (e.g. 1h) [default: never]
    #[arg(long, value_name = "DURATION")]
    pub remind_every: Option<String>,
    /// How long one delivery may take before it counts as failed (1s to 5m) [default: 10s]
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// For change and breaking: only alerts with a finding whose check id matches (`catalog-price-*`; repeatable)
    #[arg(long, value_name = "ID_GLOB")]
    pub only: Vec<String>,
    /// For change and breaking: only alerts with a finding at a matching place (`GET /v1/chat*`, `*[id=gpt-*`; repeatable)
    #[arg(long, value_name = "GLOB")]
    pub path: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Add a provider endpoint whose models' prompt caching is tested
    Add(Box<CacheAddArgs>),
    /// List targets with their models and latest results
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a target and its results
    Remove { name: String },
    /// List the models the provider offers (GET {base}/models)
    Models { name: String },
    /// Past runs of a target, newest first
    History {
        name: String,
        /// Only this model
        #[arg(long)]
        model: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct CacheAddArgs {
    /// A name for the target (letters, digits, - _ .)
    pub name: String,
    /// Provider profile: openai, venice, openrouter, together, vllm, llamacpp, deepseek, anthropic, gemini
    #[arg(long, default_value = "openai")]
    pub profile: String,
    /// Base URL, up to /chat/completions or /messages [default: the profile's]
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// The environment variable holding the API key (the key itself is never stored)
    #[arg(long, value_name = "VAR")]
    pub api_key_env: Option<String>,
    /// Models to test (repeatable, or comma-separated)
    #[arg(long = "model", value_delimiter = ',', required = true)]
    pub models: Vec<String>,
    /// Override the profile's minimum cacheable prompt size (tokens)
    #[arg(long, value_name = "TOKENS")]
    pub min_tokens: Option<u32>,
    /// Override the profile's documented cache lifetime (e.g. 5m)
    #[arg(long, value_name = "DURATION")]
    pub ttl: Option<String>,
    /// Price per million input tokens, US dollars
    #[arg(long, value_name = "USD")]
    pub price: Option<f64>,
    /// Price per million cached input tokens, US dollars
    #[arg(long, value_name = "USD")]
    pub cached_price: Option<f64>,
    /// Tests the schedule runs (comma-separated) [default: all]
    #[arg(long, value_delimiter = ',')]
    pub tests: Vec<String>,
    /// How often the schedule runs the suite [default: 6h]
    #[arg(long, value_name = "DURATION")]
    pub every: Option<String>,
    /// Tokens a day the target may spend; the suite stops before exceeding it
    #[arg(long, value_name = "TOKENS")]
    pub daily_budget: Option<i64>,
    /// The TTL test's delays (comma-separated) [default: 5s,30s,2m,5m,10m]
    #[arg(long, value_delimiter = ',', value_name = "DURATIONS")]
    pub ttl_ladder: Vec<String>,
    /// Requests of the persistence test [default: 10]
    #[arg(long, value_name = "N")]
    pub persistence: Option<u32>,
    /// The largest prompt sent, in tokens [default: 4096]
    #[arg(long, value_name = "TOKENS")]
    pub max_prompt_tokens: Option<u32>,
    /// Ask for streamed answers and read usage from the final chunk
    #[arg(long)]
    pub stream: bool,
    /// For a provider of your own: a JSON pointer to the cached-token count in its answers (e.g. /usage/cached_tokens)
    #[arg(long, value_name = "POINTER")]
    pub cached_field: Option<String>,
    /// Override the profile's API shape: chat (/chat/completions, Bearer key) or messages (/messages, x-api-key)
    #[arg(long, value_parser = ["chat", "messages"])]
    pub api: Option<String>,
    /// Also add a json watch of the provider's model list ({base}/models), named NAME-models
    #[arg(long)]
    pub watch_catalog: bool,
    /// Failed runs in a row before a model is flagged [default: 3]
    #[arg(long, value_name = "N")]
    pub warn_after: Option<u32>,
    /// Failed runs in a row before a model rests [default: 5]
    #[arg(long, value_name = "N")]
    pub rest_after: Option<u32>,
    /// How long a model rests after --rest-after failed runs (e.g. 15m) [default: 15m]
    #[arg(long, value_name = "DURATION")]
    pub rest: Option<String>,
    /// Good runs in a row that clear a model's failures [default: 2]
    #[arg(long, value_name = "N")]
    pub clear_after: Option<u32>,
}

#[derive(Debug, Args)]
pub struct CacheTestArgs {
    pub name: String,
    /// Tests to run (comma-separated): identical, sizes, shared-prefix, changed-at-k, persistence, ttl, multi-turn [default: the target's]
    #[arg(long, value_delimiter = ',')]
    pub tests: Vec<String>,
    /// Only these models (repeatable) [default: the target's]
    #[arg(long = "model", value_delimiter = ',')]
    pub models: Vec<String>,
    /// Pause between models
    #[arg(long, default_value = "5s", value_name = "DURATION")]
    pub isolation: String,
    /// Per-request timeout
    #[arg(long, default_value = "120s", value_name = "DURATION")]
    pub timeout: String,
    /// Print a curl command that repeats each test's first request; its body goes to a file in DIR [default: apiradar-requests]
    #[arg(long, value_name = "DIR", num_args = 0..=1, require_equals = true, default_missing_value = "apiradar-requests")]
    pub curl: Option<std::path::PathBuf>,
    #[arg(long)]
    pub json: bool,
    /// Test a --model that is not one of the target's (all its tests run against it)
    #[arg(long, requires = "models")]
    pub any_model: bool,
    /// Run models that are resting after failed runs too
    #[arg(long)]
    pub force: bool,
}

// ---- from arguments to application requests ----------------------------

use apiradar::alert::declare::ChannelDecl;
use apiradar::app::{self, AppError};
use apiradar::caching::declare::TargetDecl;

impl From<&AddArgs> for app::watches::WatchInput {
    fn from(a: &AddArgs) -> Self {
        app::watches::WatchInput {
            name: a.name.clone(),
            location: a.location.clone(),
            kind: a.kind.clone(),
            every: Some(a.every.clone()),
            headers: a.headers.clone(),
            key: a.key.clone(),
            public_headers: a.public_headers.clone(),
        }
    }
}

impl From<EditArgs> for app::watches::WatchEdit {
    fn from(e: EditArgs) -> Self {
        app::watches::WatchEdit {
            name: e.name,
            location: e.location,
            kind: e.kind,
            every: e.every,
            headers: e.headers,
            clear_headers: e.clear_headers,
            key: e.key,
            clear_key: e.clear_key,
            rename: e.rename,
            public_headers: e.public_headers,
            options: app::watches::OptionsInput {
                unignore_fields: e.unignore_fields,
                no_key: match (e.options.no_key, e.detect_key) {
                    (true, _) => Some(true),
                    (_, true) => Some(false),
                    _ => None,
                },
                ..(&e.options).into()
            },
        }
    }
}

impl From<&RefreshArgs> for app::refresh::RefreshRequest {
    fn from(a: &RefreshArgs) -> Self {
        app::refresh::RefreshRequest {
            names: a.names.clone(),
            all: a.all,
            max_body: a.max_body.clone(),
            timeout: a.timeout.clone(),
        }
    }
}

impl From<&DiffArgs> for app::diff::DiffRequest {
    fn from(a: &DiffArgs) -> Self {
        app::diff::DiffRequest {
            base: a.base.clone(),
            revision: a.revision.clone(),
            kind: a.kind.clone(),
            level: a.level.clone(),
            key: a.key.clone(),
            no_key: a.no_key,
            ignore: a.ignore.clone(),
            severity_levels: a.severity_levels.clone(),
            deprecation_days_beta: a.deprecation_days_beta,
            deprecation_days_stable: a.deprecation_days_stable,
            allow_remote_refs: a.allow_remote_refs,
            stability_level: a.stability_level.clone(),
        }
    }
}

impl From<ImportArgs> for app::import::ImportRequest {
    fn from(a: ImportArgs) -> Self {
        app::import::ImportRequest {
            name: a.name,
            paths: a.paths,
            kind: a.kind,
            key: a.key,
            location: a.location,
            options: (&a.options).into(),
        }
    }
}

/// A pair of flags that turn something on or off; neither keeps it.
fn switch(on: bool, off: bool) -> Option<bool> {
    match (on, off) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    }
}

impl From<&HealthArgs> for app::health::HealthRequest {
    fn from(a: &HealthArgs) -> Self {
        app::health::HealthRequest {
            names: a.names.clone(),
            timeout: a.timeout.clone(),
            degraded_after: a.degraded_after.clone(),
            ca_cert: a.ca_cert.clone(),
            add: a.add.clone().map(|url| app::health::NewEndpoint {
                url,
                method: a.method.clone(),
                conditions: a.conditions.clone(),
                headers: a.headers.clone(),
                body: a.body.clone(),
                body_type: a.body_type.clone(),
            }),
            enable: a.enable.clone(),
            disable: a.disable.clone(),
            reset: a.reset.clone(),
            skipped: a.skipped,
            probe: switch(a.enable_all, a.disable_all),
            allow_private: switch(a.allow_private, a.deny_private),
        }
    }
}

impl From<AlertAddArgs> for ChannelDecl {
    fn from(a: AlertAddArgs) -> Self {
        ChannelDecl {
            name: a.name,
            webhook: a.webhook,
            slack: a.slack,
            discord: a.discord,
            email: a.email,
            from: a.from,
            to: a.to,
            smtp_user_env: a.smtp_user_env,
            smtp_password_env: a.smtp_password_env,
            ca_cert: a.ca_cert,
            secret_env: a.secret_env,
            on: a.on,
            watch: a.watch,
            down_after: Some(a.down_after),
            recovered_after: Some(a.recovered_after),
            remind_every: a.remind_every,
            timeout: a.timeout,
            only: a.only,
            path: a.path,
        }
    }
}

impl From<&CacheAddArgs> for TargetDecl {
    fn from(a: &CacheAddArgs) -> Self {
        TargetDecl {
            name: a.name.clone(),
            profile: Some(a.profile.clone()),
            base_url: a.base_url.clone(),
            api_key_env: a.api_key_env.clone(),
            models: a.models.clone(),
            min_tokens: a.min_tokens,
            ttl: a.ttl.clone(),
            price: a.price,
            cached_price: a.cached_price,
            tests: a.tests.clone(),
            every: a.every.clone(),
            daily_budget: a.daily_budget,
            ttl_ladder: a.ttl_ladder.clone(),
            persistence: a.persistence,
            max_prompt_tokens: a.max_prompt_tokens,
            stream: a.stream,
            cached_field: a.cached_field.clone(),
            api: a.api.clone(),
            warn_after: a.warn_after,
            rest_after: a.rest_after,
            rest: a.rest.clone(),
            clear_after: a.clear_after,
        }
    }
}

impl From<CacheTestArgs> for app::caching::CacheTestRequest {
    fn from(a: CacheTestArgs) -> Self {
        app::caching::CacheTestRequest {
            name: a.name,
            tests: a.tests,
            models: a.models,
            isolation: a.isolation,
            timeout: a.timeout,
            any_model: a.any_model,
            force: a.force,
        }
    }
}

/// A declaration's error names a config key at its start (`secret_env
/// is for webhook channels`); on the command line the key is a flag.
pub fn flag_names(e: AppError) -> AppError {
    match e {
        AppError::Declaration(m) => AppError::Usage(as_flag(m)),
        e => e,
    }
}

/// [`flag_names`] for `health --add`, whose `url` is the flag's value.
pub fn health_flag_names(e: AppError) -> AppError {
    match e {
        AppError::Declaration(m) => AppError::Usage(match m.strip_prefix("url ") {
            Some(rest) => format!("--add {rest}"),
            None => as_flag(m),
        }),
        e => e,
    }
}

fn as_flag(message: String) -> String {
    let key_len = message
        .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
        .unwrap_or(message.len());
    let (key, rest) = message.split_at(key_len);
    let is_key = !key.is_empty() && (rest.starts_with(' ') || rest.starts_with(':'));
    const KEYS: &[&str] = &[
        "email",
        "from",
        "to",
        "smtp_user_env",
        "smtp_password_env",
        "ca_cert",
        "secret_env",
        "remind_every",
        "down_after",
        "recovered_after",
        "body",
        "body_type",
        "degraded_after",
        "condition",
        "method",
        "base_url",
        "api_key_env",
        "ttl",
        "ttl_ladder",
        "every",
        "cached_field",
        "daily_budget",
        "api",
        "timeout",
        "warn_after",
        "rest_after",
        "rest",
        "clear_after",
    ];
    if is_key && KEYS.contains(&key) {
        format!("--{}{rest}", key.replace('_', "-"))
    } else {
        message
    }
}

/// The completion script for `shell`, to be written out by the caller (so
/// a closed stdout is an error it handles, not a panic inside clap).
pub fn completions(shell: Shell) -> Vec<u8> {
    use clap_complete::Shell as S;
    let shell = match shell {
        Shell::Bash => S::Bash,
        Shell::Zsh => S::Zsh,
        Shell::Fish => S::Fish,
        Shell::Elvish => S::Elvish,
        Shell::Powershell => S::PowerShell,
    };
    let mut script = Vec::new();
    clap_complete::generate(
        shell,
        &mut <Cli as clap::CommandFactory>::command(),
        "apiradar",
        &mut script,
    );
    script
}

impl DiffFormat {
    /// Writes the findings in this format to `out` ([`DiffFormat::render`]);
    /// JSON as it is made, which a large diff's findings need (its text is
    /// tens of megabytes).
    pub fn write(
        self,
        diff: &app::diff::DiffOutcome,
        flat: bool,
        max_bytes: usize,
        out: &mut impl std::io::Write,
    ) -> anyhow::Result<()> {
        if self == DiffFormat::Json {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
            apiradar::report::write_diff_json(diff, &mut out)?;
            std::io::Write::flush(&mut out)?;
        } else {
            write!(out, "{}", self.render(diff, flat, max_bytes)?)?;
        }
        Ok(())
    }

    /// The findings of a diff in this format: by root cause, or one line
    /// per finding with `flat`.
    pub fn render(
        self,
        diff: &app::diff::DiffOutcome,
        flat: bool,
        max_bytes: usize,
    ) -> std::io::Result<String> {
        use apiradar::report;
        let (base, rev, shown) = (&diff.base_label, &diff.revision_label, &diff.findings);
        Ok(match self {
            DiffFormat::Text if !flat => report::groups::groups_text(diff),
            DiffFormat::Markdown if !flat => report::groups::groups_markdown(diff, max_bytes),
            DiffFormat::Html if !flat => report::groups::groups_html(diff),
            DiffFormat::Junit => report::findings_junit(base, rev, shown),
            DiffFormat::Github => report::findings_github(shown),
            DiffFormat::Html => report::findings_html(base, rev, shown),
            DiffFormat::Json => report::diff_json_text(diff)?,
            DiffFormat::Text => report::findings_text(base, rev, diff.kind.as_str(), shown),
            DiffFormat::Markdown => report::findings_markdown(base, rev, shown),
        })
    }
}
