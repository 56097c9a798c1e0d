//! Conditions: what a health check expects of one response.
//!
//! Each endpoint check carries conditions such as `status == 200` or
//! `latency < 800ms && body.$.status == "ok"`, written in the config file or
//! on the command line. They are parsed once ([`Condition::parse`]) and
//! evaluated against what each check saw ([`Condition::eval`] on an
//! [`Observation`]).
//!
//! # The language
//!
//! A condition compares a *field* of the response with a *value*, and
//! comparisons combine with `&&`, `||`, `!` and parentheses.
//!
//! | Field | What it is | Operators | Example |
//! |---|---|---|---|
//! | `status` | HTTP status code | `==` `!=` `<` `<=` `>` `>=` `in` | `status in [200, 401]` |
//! | `latency` | time for the whole request | `==` `!=` `<` `<=` `>` `>=` | `latency < 800ms` |
//! | `connect` | time to open the connection: DNS, TCP and TLS (unknown on a reused connection) | `==` `!=` `<` `<=` `>` `>=` | `connect < 100ms` |
//! | `ttfb` | time to the first byte of the response | `==` `!=` `<` `<=` `>` `>=` | `ttfb < 300ms` |
//! | `cert_days` | whole days until the TLS certificate expires (negative once expired) | `==` `!=` `<` `<=` `>` `>=` | `cert_days > 14` |
//! | `size` | size of the response body | `==` `!=` `<` `<=` `>` `>=` | `size < 1MiB` |
//! | `body` | the raw response body | `contains` `==` `!=` | `body contains "healthy"` |
//! | `body.$…` | a value inside a JSON body | `==` `!=` `<` `<=` `>` `>=` `in` `contains` | `body.$.data[0].id == "x"` |
//! | `header.<name>` | a response header (name in any case) | `==` `!=` `in` `contains` | `header.content-type contains "json"` |
//!
//! ## Values
//!
//! - **Status codes and days**: whole numbers, `200`, `-3`.
//! - **Durations**: a number and a unit, `ms` or `s`: `800ms`, `1.5s`. The
//!   unit is required (`latency < 800` is an error, not a guess).
//! - **Sizes**: a number and an optional unit: `B`, `KB` (1000), `KiB`
//!   (1024), `MB`, `MiB`, `GB`, `GiB`; no unit means bytes. `1.5KiB` is 1536
//!   bytes. Units of durations and sizes are case-insensitive.
//! - **Strings**: in double or single quotes, with the escapes `\"`, `\'`,
//!   `\\`, `\n`, `\r`, `\t`, `\/` and `\uXXXX`.
//! - **JSON values** (for `body.$…`): strings, numbers (`3`, `-0.5`, `1e3`),
//!   `true`, `false`, `null`.
//! - **Lists** (after `in`): `[200, 401]`, `["a", "b"]`; a trailing comma is
//!   allowed, an empty list is not.
//!
//! ## JSON paths
//!
//! `body.$` is the whole JSON body; steps after it walk into it:
//!
//! - `.key`: a member whose name is made of letters, digits, `_` and `-`;
//! - `["any key"]` (or `['any key']`): a member with any name;
//! - `[N]`: item `N` of an array, counting from 0; `[-1]` is the last item.
//!
//! Wildcards, filters and recursive descent are not supported.
//!
//! ## Comparing
//!
//! - Numbers compare by value (`1 == 1.0`); nothing is converted between
//!   types, so `"3"` is not `3` and `"true"` is not `true`. `<`, `<=`, `>`
//!   and `>=` on `body.$…` need a number on both sides.
//! - Strings compare exactly, case included.
//! - `contains`: on `body` and headers, a substring; on a JSON string, a
//!   substring; on a JSON array, an item equal to the value; on a JSON
//!   object, a member named by the (string) value.
//! - A JSON member that does not exist, and a header that is not there,
//!   compare like `null`: `body.$.error == null` passes when `error` is
//!   missing or null, `header.retry-after == null` when the header is absent,
//!   and `!=` a string passes. Every other comparison with them fails.
//! - A header sent several times is compared as its values joined with
//!   `", "`.
//!
//! ## Combining
//!
//! `!` binds tightest, then `&&`, then `||`; parentheses group.
//! `!` applies to the comparison or parenthesised group right after it, so
//! `!status == 200` means `!(status == 200)`.
//! `a || b && c` is `a || (b && c)`.
//!
//! ## Outcomes
//!
//! Evaluating gives an [`Outcome`]: `Pass`, `Fail` with the reason in words
//! (`status is 503, expected 200`), or `Unknown` when the observation lacks
//! what the condition asks about: no status after a transport error, no
//! certificate over plain http, a timing that was not measured, a body that
//! was not captured or is not JSON. Combinations use three-valued logic:
//!
//! - `a && b` fails if either side fails, else is unknown if either side is
//!   unknown, else passes;
//! - `a || b` passes if either side passes, else is unknown if either side is
//!   unknown, else fails;
//! - `!a` turns pass into fail and fail into pass; unknown stays unknown.
//!
//! Evaluation stops as soon as the result is decided, and the JSON body is
//! parsed at most once per evaluation, only if a `body.$…` field is reached.
//!
//! ## Limits and errors
//!
//! A condition is at most [`MAX_LENGTH`] characters, and parentheses and `!`
//! nest at most [`MAX_DEPTH`] deep. A condition that does not parse is a
//! [`ConditionError`] naming the column (counted in characters from 1) and
//! what was expected there:
//!
//! ```text
//! at column 11: expected a duration (such as 800ms or 1.5s) after `<`, found `abc`
//! ```

use std::cell::OnceCell;
use std::cmp::Ordering;
use std::fmt;
use std::ops::Range;
use std::str::FromStr;
use std::time::Duration;

use serde_json::{Number, Value};

/// Longest condition accepted, in characters.
pub const MAX_LENGTH: usize = 1000;

/// Deepest nesting of parentheses and `!` accepted.
pub const MAX_DEPTH: usize = 64;

/// The fields, as listed in error messages.
const FIELD_LIST: &str =
    "status, latency, connect, ttfb, cert_days, size, body, body.$…, header.<name>";

/// Longest piece of input or of a value quoted in a message, in characters.
const SHOWN_CHARS: usize = 60;

/// A parsed condition, with the text it was parsed from.
///
/// Two conditions are equal when their texts are. It (de)serializes as its
/// text, so a config file can hold conditions directly.
#[derive(Debug, Clone)]
pub struct Condition {
    source: String,
    expr: Expr,
}

/// What one check saw. Everything is optional: a transport error has no
/// status, plain http has no certificate, a reused connection has no connect
/// time.
#[derive(Debug, Clone, Copy, Default)]
pub struct Observation<'a> {
    pub status: Option<u16>,
    pub latency: Option<Duration>,
    pub connect: Option<Duration>,
    pub ttfb: Option<Duration>,
    /// Whole days until the certificate expires; negative once expired.
    pub cert_days: Option<i64>,
    /// The body as captured (possibly cut short by the checker).
    pub body: Option<&'a [u8]>,
    /// The full body size; when `None`, the length of `body` is used.
    pub body_size: Option<u64>,
    /// Response headers, names lower-cased. With no status, an empty list
    /// means "no response", not "no headers".
    pub headers: &'a [(String, String)],
}

/// The verdict of a condition on one observation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    /// Why, in words: "status is 503, expected 200".
    Fail(String),
    /// What was missing to decide: "no TLS certificate (plain http …)".
    Unknown(String),
}

impl Outcome {
    pub fn is_pass(&self) -> bool {
        matches!(self, Outcome::Pass)
    }

    /// The reason of a failure or an unknown outcome.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Outcome::Pass => None,
            Outcome::Fail(why) | Outcome::Unknown(why) => Some(why),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Pass => f.write_str("pass"),
            Outcome::Fail(why) => write!(f, "fail: {why}"),
            Outcome::Unknown(why) => write!(f, "unknown: {why}"),
        }
    }
}

/// Why a condition could not be parsed. Columns count characters from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConditionError {
    #[error("the condition is empty")]
    Empty,

    #[error("the condition is {length} characters long; at most {max} are allowed")]
    TooLong { length: usize, max: usize },

    #[error("at column {column}: parentheses and `!` nest more than {max} deep")]
    TooDeep { column: usize, max: usize },

    #[error("at column {column}: {}", unknown_field_message(name, *suggestion))]
    UnknownField {
        column: usize,
        name: String,
        /// A field the name looks like a misspelling of.
        suggestion: Option<&'static str>,
    },

    #[error("at column {column}: expected {expected}, found {found}")]
    Expected {
        column: usize,
        expected: String,
        /// What is there instead: a quoted token or "the end of the condition".
        found: String,
    },

    #[error("at column {column}: {message}")]
    Invalid { column: usize, message: String },
}

impl ConditionError {
    /// The column the error points at, if it points anywhere.
    pub fn column(&self) -> Option<usize> {
        match self {
            ConditionError::Empty | ConditionError::TooLong { .. } => None,
            ConditionError::TooDeep { column, .. }
            | ConditionError::UnknownField { column, .. }
            | ConditionError::Expected { column, .. }
            | ConditionError::Invalid { column, .. } => Some(*column),
        }
    }
}

fn unknown_field_message(name: &str, suggestion: Option<&str>) -> String {
    match suggestion {
        Some(s) => format!("unknown field `{name}` (did you mean `{s}`?); fields are {FIELD_LIST}"),
        None => format!("unknown field `{name}`; fields are {FIELD_LIST}"),
    }
}

impl Condition {
    /// Parses a condition; see the [module documentation](self) for the
    /// language.
    pub fn parse(text: &str) -> Result<Condition, ConditionError> {
        let length = text.chars().count();
        if length > MAX_LENGTH {
            return Err(ConditionError::TooLong {
                length,
                max: MAX_LENGTH,
            });
        }
        if text.trim().is_empty() {
            return Err(ConditionError::Empty);
        }
        let mut parser = Parser {
            src: text,
            pos: 0,
            depth: 0,
        };
        let expr = parser.parse_or()?;
        parser.skip_ws();
        if parser.pos < text.len() {
            return Err(parser.trailing_error());
        }
        Ok(Condition {
            source: text.to_owned(),
            expr,
        })
    }

    /// The text the condition was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether evaluating may look at the body (`body`, `body.$…`), so a
    /// checker can skip reading bodies nobody asks about.
    pub fn needs_body(&self) -> bool {
        self.expr.needs_body()
    }

    /// Evaluates the condition on what one check saw.
    pub fn eval(&self, obs: &Observation<'_>) -> Outcome {
        let ctx = Ctx {
            obs,
            json: OnceCell::new(),
        };
        match self.eval_expr(&self.expr, &ctx) {
            Tri::Pass(_) => Outcome::Pass,
            Tri::Fail(why) => Outcome::Fail(why),
            Tri::Unknown(why) => Outcome::Unknown(why),
        }
    }

    fn eval_expr(&self, expr: &Expr, ctx: &Ctx<'_, '_>) -> Tri {
        match expr {
            Expr::Test(cmp) => cmp.eval(ctx),
            Expr::Not { inner, text } => match self.eval_expr(inner, ctx) {
                Tri::Pass(seen) => {
                    let negated = self.source.get(text.clone()).unwrap_or("");
                    Tri::Fail(format!("{seen}, expected not `{negated}`"))
                }
                Tri::Fail(why) => Tri::Pass(why),
                unknown @ Tri::Unknown(_) => unknown,
            },
            Expr::All(items) => {
                let mut seen = Vec::new();
                let mut unknown = None;
                for item in items {
                    match self.eval_expr(item, ctx) {
                        Tri::Pass(s) => seen.push(s),
                        fail @ Tri::Fail(_) => return fail,
                        Tri::Unknown(why) => {
                            unknown.get_or_insert(why);
                        }
                    }
                }
                match unknown {
                    Some(why) => Tri::Unknown(why),
                    None => Tri::Pass(seen.join(" and ")),
                }
            }
            Expr::Any(items) => {
                let mut fails = Vec::new();
                let mut unknown = None;
                for item in items {
                    match self.eval_expr(item, ctx) {
                        pass @ Tri::Pass(_) => return pass,
                        Tri::Fail(why) => fails.push(why),
                        Tri::Unknown(why) => {
                            unknown.get_or_insert(why);
                        }
                    }
                }
                match unknown {
                    Some(why) => Tri::Unknown(why),
                    None => Tri::Fail(fails.join("; ")),
                }
            }
        }
    }
}

impl FromStr for Condition {
    type Err = ConditionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Condition::parse(text)
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl PartialEq for Condition {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for Condition {}

impl serde::Serialize for Condition {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.source)
    }
}

impl<'de> serde::Deserialize<'de> for Condition {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Condition::parse(&text).map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------------------
// The syntax tree

#[derive(Debug, Clone)]
enum Expr {
    Test(Comparison),
    /// `text` is the byte range of the negated part in the source.
    Not {
        inner: Box<Expr>,
        text: Range<usize>,
    },
    All(Vec<Expr>),
    Any(Vec<Expr>),
}

impl Expr {
    fn needs_body(&self) -> bool {
        match self {
            Expr::Test(cmp) => matches!(cmp.test, Test::Body(_) | Test::Json(..)),
            Expr::Not { inner, .. } => inner.needs_body(),
            Expr::All(items) | Expr::Any(items) => items.iter().any(Expr::needs_body),
        }
    }
}

#[derive(Debug, Clone)]
struct Comparison {
    /// The field as written (`status`, `body.$.data[0]`).
    subject: String,
    /// The expected value as written (`200`, `[200, 401]`, `"ok"`).
    shown: String,
    test: Test,
}

#[derive(Debug, Clone)]
enum Test {
    Status(IntCheck),
    CertDays(Op, i64),
    Timing(Timing, Op, Duration),
    Size(Op, u64),
    Header(String, TextCheck),
    Body(TextCheck),
    Json(Vec<Step>, JsonCheck),
}

#[derive(Debug, Clone, Copy)]
enum Timing {
    Latency,
    Connect,
    Ttfb,
}

#[derive(Debug, Clone)]
enum IntCheck {
    Cmp(Op, i64),
    In(Vec<i64>),
}

/// `None` stands for `null`: an absent header.
#[derive(Debug, Clone)]
enum TextCheck {
    Eq(Option<String>),
    Ne(Option<String>),
    In(Vec<Option<String>>),
    Contains(String),
}

#[derive(Debug, Clone)]
enum JsonCheck {
    Cmp(Op, Lit),
    In(Vec<Lit>),
    Contains(Lit),
}

#[derive(Debug, Clone)]
enum Lit {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }

    fn holds(self, ord: Ordering) -> bool {
        match self {
            Op::Eq => ord == Ordering::Equal,
            Op::Ne => ord != Ordering::Equal,
            Op::Lt => ord == Ordering::Less,
            Op::Le => ord != Ordering::Greater,
            Op::Gt => ord == Ordering::Greater,
            Op::Ge => ord != Ordering::Less,
        }
    }

    fn is_ordering(self) -> bool {
        !matches!(self, Op::Eq | Op::Ne)
    }
}

/// An operator as read, before it is matched with its field.
#[derive(Debug, Clone, Copy)]
enum OpTok {
    Cmp(Op),
    In,
    Contains,
}

impl fmt::Display for OpTok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpTok::Cmp(op) => f.write_str(op.as_str()),
            OpTok::In => f.write_str("in"),
            OpTok::Contains => f.write_str("contains"),
        }
    }
}

/// A field as read, before its operator and value.
enum Field {
    Status,
    CertDays,
    Timing(Timing),
    Size,
    Body,
    Json(Vec<Step>),
    Header(String),
}

impl Field {
    fn operators(&self) -> &'static str {
        match self {
            Field::Status => "==, !=, <, <=, >, >= or in",
            Field::CertDays | Field::Timing(_) | Field::Size => "==, !=, <, <=, > or >=",
            Field::Body => "contains, == or !=",
            Field::Json(_) => "==, !=, <, <=, >, >=, in or contains",
            Field::Header(_) => "==, !=, in or contains",
        }
    }
}

// ---------------------------------------------------------------------------
// Parsing

/// A literal as lexed, before it is checked against what the field needs.
enum Raw<'s> {
    Number { text: &'s str, unit: &'s str },
    Str(String),
    Word(&'s str),
}

struct Parser<'s> {
    src: &'s str,
    /// Byte offset; always on a character boundary.
    pos: usize,
    depth: usize,
}

impl<'s> Parser<'s> {
    // -- scanning ---------------------------------------------------------

    fn rest(&self) -> &'s str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn slice(&self, start: usize, end: usize) -> &'s str {
        self.src.get(start..end).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek_second(&self) -> Option<char> {
        self.rest().chars().nth(1)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    fn eat(&mut self, s: &str) -> bool {
        if self.rest().starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    /// Eats a keyword only when it is a whole word.
    fn eat_word(&mut self, word: &str) -> bool {
        let rest = self.rest();
        if rest.starts_with(word)
            && !rest[word.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> &'s str {
        let start = self.pos;
        while self.peek().is_some_and(&keep) {
            self.bump();
        }
        self.slice(start, self.pos)
    }

    // -- errors -----------------------------------------------------------

    fn column_at(&self, pos: usize) -> usize {
        self.slice(0, pos).chars().count() + 1
    }

    /// The token at `pos`, quoted for a message.
    fn describe_at(&self, pos: usize) -> String {
        const PUNCT: &str = "&|=!<>";
        const DELIMS: &str = "()[],&|=!<>\"'";
        let rest = self.src.get(pos..).unwrap_or("");
        let Some(first) = rest.chars().next() else {
            return "the end of the condition".to_owned();
        };
        let token: String = if first == '"' || first == '\'' {
            let mut token = String::from(first);
            for c in rest.chars().skip(1) {
                token.push(c);
                if c == first {
                    break;
                }
            }
            token
        } else if PUNCT.contains(first) {
            rest.chars().take_while(|c| PUNCT.contains(*c)).collect()
        } else if DELIMS.contains(first) {
            first.to_string()
        } else {
            rest.chars()
                .take_while(|c| !c.is_whitespace() && !DELIMS.contains(*c))
                .collect()
        };
        format!("`{}`", shorten(&token, 24))
    }

    fn expected(&self, pos: usize, what: impl Into<String>) -> ConditionError {
        ConditionError::Expected {
            column: self.column_at(pos),
            expected: what.into(),
            found: self.describe_at(pos),
        }
    }

    fn invalid(&self, pos: usize, message: impl Into<String>) -> ConditionError {
        ConditionError::Invalid {
            column: self.column_at(pos),
            message: message.into(),
        }
    }

    /// The error for input left over after a complete condition.
    fn trailing_error(&self) -> ConditionError {
        let rest = self.rest();
        if rest.starts_with(')') {
            return self.invalid(self.pos, "this `)` has no matching `(`");
        }
        if let Some(err) = self.connective_hint() {
            return err;
        }
        self.expected(self.pos, "`&&`, `||` or the end of the condition")
    }

    /// Errors for `and`, `or`, `&` and `|` written where `&&`/`||` belong.
    fn connective_hint(&self) -> Option<ConditionError> {
        let rest = self.rest();
        let word: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        let fix = if word.eq_ignore_ascii_case("and")
            || (rest.starts_with('&') && !rest.starts_with("&&"))
        {
            "&&"
        } else if word.eq_ignore_ascii_case("or")
            || (rest.starts_with('|') && !rest.starts_with("||"))
        {
            "||"
        } else {
            return None;
        };
        Some(self.invalid(
            self.pos,
            format!("write `{fix}` instead of {}", self.describe_at(self.pos)),
        ))
    }

    fn enter(&mut self, pos: usize) -> Result<(), ConditionError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ConditionError::TooDeep {
                column: self.column_at(pos),
                max: MAX_DEPTH,
            });
        }
        Ok(())
    }

    // -- expressions ------------------------------------------------------

    fn parse_or(&mut self) -> Result<Expr, ConditionError> {
        let first = self.parse_and()?;
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            if !self.eat("||") {
                break;
            }
            items.push(self.parse_and()?);
        }
        if items.is_empty() {
            Ok(first)
        } else {
            items.insert(0, first);
            Ok(Expr::Any(items))
        }
    }

    fn parse_and(&mut self) -> Result<Expr, ConditionError> {
        let first = self.parse_unary()?;
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            if !self.eat("&&") {
                break;
            }
            items.push(self.parse_unary()?);
        }
        if items.is_empty() {
            Ok(first)
        } else {
            items.insert(0, first);
            Ok(Expr::All(items))
        }
    }

    fn parse_unary(&mut self) -> Result<Expr, ConditionError> {
        self.skip_ws();
        let start = self.pos;
        if self.peek() == Some('!') && self.peek_second() != Some('=') {
            self.enter(start)?;
            self.bump();
            self.skip_ws();
            let inner_start = self.pos;
            let inner = self.parse_unary()?;
            self.depth -= 1;
            return Ok(Expr::Not {
                inner: Box::new(inner),
                text: inner_start..self.pos,
            });
        }
        if self.eat("(") {
            self.enter(start)?;
            let expr = self.parse_or()?;
            self.skip_ws();
            if !self.eat(")") {
                if let Some(err) = self.connective_hint() {
                    return Err(err);
                }
                let column = self.column_at(start);
                return Err(self.expected(
                    self.pos,
                    format!("`&&`, `||` or `)` to close the `(` at column {column}"),
                ));
            }
            self.depth -= 1;
            return Ok(expr);
        }
        self.parse_comparison()
    }

    fn parse_comparison(&mut self) -> Result<Expr, ConditionError> {
        let field_start = self.pos;
        let field = self.parse_field()?;
        let subject = self.slice(field_start, self.pos).to_owned();
        self.skip_ws();
        let op_pos = self.pos;
        let Some(op) = self.parse_op()? else {
            return Err(self.expected(
                op_pos,
                format!("an operator after `{subject}` ({})", field.operators()),
            ));
        };
        let after = format!("after `{op}`");
        self.skip_ws();
        let value_pos = self.pos;
        let test = match (field, op) {
            (Field::Status, OpTok::Cmp(op)) => {
                Test::Status(IntCheck::Cmp(op, self.status(&after)?))
            }
            (Field::Status, OpTok::In) => Test::Status(IntCheck::In(self.list(Self::status)?)),
            (Field::CertDays, OpTok::Cmp(op)) => Test::CertDays(op, self.days(&after)?),
            (Field::Timing(t), OpTok::Cmp(op)) => Test::Timing(t, op, self.duration(&after)?),
            (Field::Size, OpTok::Cmp(op)) => Test::Size(op, self.bytes(&after)?),
            (Field::Header(name), OpTok::Cmp(Op::Eq)) => {
                Test::Header(name, TextCheck::Eq(self.text_or_null(&after)?))
            }
            (Field::Header(name), OpTok::Cmp(Op::Ne)) => {
                Test::Header(name, TextCheck::Ne(self.text_or_null(&after)?))
            }
            (Field::Header(name), OpTok::In) => {
                Test::Header(name, TextCheck::In(self.list(Self::text_or_null)?))
            }
            (Field::Header(name), OpTok::Contains) => {
                Test::Header(name, TextCheck::Contains(self.text(&after)?))
            }
            (Field::Body, OpTok::Cmp(Op::Eq)) => {
                Test::Body(TextCheck::Eq(Some(self.text(&after)?)))
            }
            (Field::Body, OpTok::Cmp(Op::Ne)) => {
                Test::Body(TextCheck::Ne(Some(self.text(&after)?)))
            }
            (Field::Body, OpTok::Contains) => Test::Body(TextCheck::Contains(self.text(&after)?)),
            (Field::Json(path), OpTok::Cmp(op)) if op.is_ordering() => {
                Test::Json(path, JsonCheck::Cmp(op, self.json_number(&after)?))
            }
            (Field::Json(path), OpTok::Cmp(op)) => {
                Test::Json(path, JsonCheck::Cmp(op, self.json_value(&after)?))
            }
            (Field::Json(path), OpTok::In) => {
                Test::Json(path, JsonCheck::In(self.list(Self::json_value)?))
            }
            (Field::Json(path), OpTok::Contains) => {
                Test::Json(path, JsonCheck::Contains(self.json_value(&after)?))
            }
            (field, op) => {
                return Err(self.invalid(
                    op_pos,
                    format!(
                        "`{subject}` cannot be used with `{op}`; use {}",
                        field.operators()
                    ),
                ));
            }
        };
        let shown = self.slice(value_pos, self.pos).to_owned();
        Ok(Expr::Test(Comparison {
            subject,
            shown,
            test,
        }))
    }

    fn parse_field(&mut self) -> Result<Field, ConditionError> {
        let start = self.pos;
        if !self
            .peek()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        {
            return Err(self.expected(
                start,
                "a field (such as `status` or `body.$.ok`), `(` or `!`",
            ));
        }
        let word = self.take_while(|c| c.is_ascii_alphanumeric() || c == '_');
        let field = match word {
            "status" => Field::Status,
            "latency" => Field::Timing(Timing::Latency),
            "connect" => Field::Timing(Timing::Connect),
            "ttfb" => Field::Timing(Timing::Ttfb),
            "cert_days" => Field::CertDays,
            "size" => Field::Size,
            "body" => {
                if !self.eat(".") {
                    return Ok(Field::Body);
                }
                if !self.eat("$") {
                    return Err(self.expected(
                        self.pos,
                        "`$` after `body.` (a JSON path such as `body.$.status`)",
                    ));
                }
                return Ok(Field::Json(self.parse_path()?));
            }
            "header" => {
                if !self.eat(".") {
                    return Err(self.expected(
                        self.pos,
                        "`.` and a header name after `header` (such as `header.content-type`)",
                    ));
                }
                let name_start = self.pos;
                let name = self.take_while(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
                if name.is_empty() {
                    return Err(self.expected(name_start, "a header name after `header.`"));
                }
                return Ok(Field::Header(name.to_ascii_lowercase()));
            }
            "not" => return Err(self.invalid(start, "write `!` instead of `not`")),
            _ => {
                return Err(ConditionError::UnknownField {
                    column: self.column_at(start),
                    name: word.to_owned(),
                    suggestion: suggest_field(word),
                });
            }
        };
        if self.peek() == Some('.') {
            return Err(self.invalid(
                self.pos,
                format!("`{word}` has no parts to select with `.`"),
            ));
        }
        Ok(field)
    }

    /// The steps of a JSON path, after `body.$`.
    fn parse_path(&mut self) -> Result<Vec<Step>, ConditionError> {
        let mut steps = Vec::new();
        loop {
            match self.peek() {
                Some('.') => {
                    self.bump();
                    let start = self.pos;
                    let key = self.take_while(|c| c.is_alphanumeric() || c == '_' || c == '-');
                    if key.is_empty() {
                        return Err(self.expected(
                            start,
                            "a member name after `.` (write `[\"…\"]` for names with other characters)",
                        ));
                    }
                    steps.push(Step::Key(key.to_owned()));
                }
                Some('[') => {
                    self.bump();
                    self.skip_ws();
                    let start = self.pos;
                    match self.peek() {
                        Some('"' | '\'') => steps.push(Step::Key(self.parse_string()?)),
                        Some(c) if c.is_ascii_digit() || c == '-' => {
                            let text = self.take_while(|c| c.is_ascii_digit() || c == '-');
                            let index = text.parse::<i64>().map_err(|_| {
                                self.invalid(
                                    start,
                                    format!("`{}` is not a usable index", shorten(text, 24)),
                                )
                            })?;
                            steps.push(Step::Index(index));
                        }
                        _ => {
                            return Err(self.expected(
                                start,
                                "an index or a quoted member name inside `[` `]`",
                            ));
                        }
                    }
                    self.skip_ws();
                    if !self.eat("]") {
                        return Err(self.expected(self.pos, "`]`"));
                    }
                }
                _ => return Ok(steps),
            }
        }
    }

    fn parse_op(&mut self) -> Result<Option<OpTok>, ConditionError> {
        const SYMBOLS: [(&str, Op); 6] = [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("<", Op::Lt),
            (">", Op::Gt),
        ];
        for (symbol, op) in SYMBOLS {
            if self.eat(symbol) {
                return Ok(Some(OpTok::Cmp(op)));
            }
        }
        if self.peek() == Some('=') {
            return Err(self.invalid(self.pos, "write `==` to compare"));
        }
        if self.eat_word("in") {
            return Ok(Some(OpTok::In));
        }
        if self.eat_word("contains") {
            return Ok(Some(OpTok::Contains));
        }
        Ok(None)
    }

    // -- values -----------------------------------------------------------

    /// Lexes one literal; `None` (with nothing consumed) if none starts here.
    fn lex(&mut self) -> Result<Option<Raw<'s>>, ConditionError> {
        match self.peek() {
            Some('"' | '\'') => Ok(Some(Raw::Str(self.parse_string()?))),
            Some(c)
                if c.is_ascii_digit()
                    || ((c == '-' || c == '+')
                        && self.peek_second().is_some_and(|d| d.is_ascii_digit())) =>
            {
                let start = self.pos;
                if c == '-' || c == '+' {
                    self.bump();
                }
                self.take_while(|c| c.is_ascii_digit());
                if self.peek() == Some('.')
                    && self.peek_second().is_some_and(|d| d.is_ascii_digit())
                {
                    self.bump();
                    self.take_while(|c| c.is_ascii_digit());
                }
                if matches!(self.peek(), Some('e' | 'E')) {
                    let before = self.pos;
                    self.bump();
                    if matches!(self.peek(), Some('+' | '-')) {
                        self.bump();
                    }
                    if self.take_while(|c| c.is_ascii_digit()).is_empty() {
                        self.pos = before;
                    }
                }
                let text = self.slice(start, self.pos);
                let unit = self.take_while(|c| c.is_ascii_alphabetic());
                Ok(Some(Raw::Number { text, unit }))
            }
            Some(c) if c.is_ascii_alphabetic() => Ok(Some(Raw::Word(
                self.take_while(|c| c.is_ascii_alphanumeric() || c == '_'),
            ))),
            _ => Ok(None),
        }
    }

    fn status(&mut self, after: &str) -> Result<i64, ConditionError> {
        let start = self.pos;
        match self.lex()? {
            Some(Raw::Number { text, unit: "" }) if is_integer(text) => match text.parse::<i64>() {
                Ok(n) if (0..=999).contains(&n) => Ok(n),
                _ => Err(self.invalid(
                    start,
                    format!(
                        "`{}` is not a status code (they run from 100 to 599)",
                        shorten(text, 24)
                    ),
                )),
            },
            _ => Err(self.expected(start, format!("a status code (such as 200) {after}"))),
        }
    }

    fn days(&mut self, after: &str) -> Result<i64, ConditionError> {
        let start = self.pos;
        match self.lex()? {
            Some(Raw::Number { text, unit: "" }) if is_integer(text) => {
                text.parse::<i64>().map_err(|_| {
                    self.invalid(
                        start,
                        format!("`{}` is too large a number of days", shorten(text, 24)),
                    )
                })
            }
            _ => Err(self.expected(start, format!("a whole number of days {after}"))),
        }
    }

    fn duration(&mut self, after: &str) -> Result<Duration, ConditionError> {
        let start = self.pos;
        let Some(Raw::Number { text, unit }) = self.lex()? else {
            return Err(self.expected(start, format!("a duration (such as 800ms or 1.5s) {after}")));
        };
        if unit.is_empty() {
            return Err(self.invalid(
                start,
                format!("a duration needs a unit: write `{text}ms` or `{text}s`"),
            ));
        }
        let scale = match unit.to_ascii_lowercase().as_str() {
            "ms" => 0.001,
            "s" => 1.0,
            _ => {
                return Err(self.invalid(
                    start,
                    format!("unknown duration unit `{unit}`; use ms or s"),
                ));
            }
        };
        if text.starts_with('-') {
            return Err(self.invalid(start, "a duration cannot be negative"));
        }
        let value: f64 = text.parse().unwrap_or(f64::INFINITY);
        Duration::try_from_secs_f64(value * scale).map_err(|_| {
            self.invalid(
                start,
                format!("`{}{unit}` is too long a duration", shorten(text, 24)),
            )
        })
    }

    fn bytes(&mut self, after: &str) -> Result<u64, ConditionError> {
        let start = self.pos;
        let Some(Raw::Number { text, unit }) = self.lex()? else {
            return Err(self.expected(start, format!("a size (such as 512KiB or 1MB) {after}")));
        };
        let scale: f64 = match unit.to_ascii_lowercase().as_str() {
            "" | "b" => 1.0,
            "kb" => 1e3,
            "kib" => 1024.0,
            "mb" => 1e6,
            "mib" => 1_048_576.0,
            "gb" => 1e9,
            "gib" => 1_073_741_824.0,
            _ => {
                return Err(self.invalid(
                    start,
                    format!("unknown size unit `{unit}`; use B, KB, KiB, MB, MiB, GB or GiB"),
                ));
            }
        };
        if text.starts_with('-') {
            return Err(self.invalid(start, "a size cannot be negative"));
        }
        let value = text.parse::<f64>().unwrap_or(f64::INFINITY) * scale;
        // 2^64 as f64; anything at or above it does not fit in a u64.
        if !value.is_finite() || value >= 18_446_744_073_709_551_616.0 {
            return Err(self.invalid(
                start,
                format!("`{}{unit}` is too large a size", shorten(text, 24)),
            ));
        }
        Ok(value.round() as u64)
    }

    fn text(&mut self, after: &str) -> Result<String, ConditionError> {
        let start = self.pos;
        match self.lex()? {
            Some(Raw::Str(s)) => Ok(s),
            _ => Err(self.expected(start, format!("a quoted string {after}"))),
        }
    }

    fn text_or_null(&mut self, after: &str) -> Result<Option<String>, ConditionError> {
        let start = self.pos;
        match self.lex()? {
            Some(Raw::Str(s)) => Ok(Some(s)),
            Some(Raw::Word("null")) => Ok(None),
            _ => Err(self.expected(start, format!("a quoted string or null {after}"))),
        }
    }

    fn json_value(&mut self, after: &str) -> Result<Lit, ConditionError> {
        let start = self.pos;
        match self.lex()? {
            Some(Raw::Str(s)) => Ok(Lit::Str(s)),
            Some(Raw::Word("null")) => Ok(Lit::Null),
            Some(Raw::Word("true")) => Ok(Lit::Bool(true)),
            Some(Raw::Word("false")) => Ok(Lit::Bool(false)),
            Some(Raw::Number { text, unit }) => self.number(start, text, unit),
            _ => Err(self.expected(
                start,
                format!("a JSON value (a quoted string, a number, true, false or null) {after}"),
            )),
        }
    }

    fn json_number(&mut self, after: &str) -> Result<Lit, ConditionError> {
        let start = self.pos;
        match self.lex()? {
            Some(Raw::Number { text, unit }) => self.number(start, text, unit),
            _ => Err(self.expected(
                start,
                format!("a number {after} (`<`, `<=`, `>` and `>=` compare numbers)"),
            )),
        }
    }

    fn number(&self, start: usize, text: &str, unit: &str) -> Result<Lit, ConditionError> {
        if !unit.is_empty() {
            return Err(self.invalid(
                start,
                format!("a JSON number takes no unit; remove `{unit}`"),
            ));
        }
        if is_integer(text)
            && let Ok(n) = text.parse::<i64>()
        {
            return Ok(Lit::Int(n));
        }
        match text.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(Lit::Float(x)),
            _ => Err(self.invalid(
                start,
                format!("`{}` is too large a number", shorten(text, 24)),
            )),
        }
    }

    /// A `[…]` list of items read by `item`.
    fn list<T>(
        &mut self,
        item: impl Fn(&mut Self, &str) -> Result<T, ConditionError>,
    ) -> Result<Vec<T>, ConditionError> {
        let open = self.pos;
        if !self.eat("[") {
            return Err(self.expected(open, "a list in `[` `]` after `in` (such as `[200, 401]`)"));
        }
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            if self.eat("]") {
                break;
            }
            items.push(item(self, "in the list")?);
            self.skip_ws();
            if self.eat(",") {
                continue;
            }
            if self.eat("]") {
                break;
            }
            let column = self.column_at(open);
            return Err(self.expected(
                self.pos,
                format!("`,` or `]` to close the list opened at column {column}"),
            ));
        }
        if items.is_empty() {
            return Err(self.invalid(open, "the list is empty, so nothing could be in it"));
        }
        Ok(items)
    }

    /// A quoted string, at its opening quote.
    fn parse_string(&mut self) -> Result<String, ConditionError> {
        let open = self.pos;
        let Some(quote) = self.bump() else {
            return Err(self.expected(open, "a quoted string"));
        };
        let unterminated = |p: &Self| {
            p.invalid(
                open,
                format!("unterminated string: this {quote} is never closed"),
            )
        };
        let mut out = String::new();
        loop {
            let at = self.pos;
            match self.bump() {
                None => return Err(unterminated(self)),
                Some(c) if c == quote => return Ok(out),
                Some('\\') => {
                    let escaped = match self.bump() {
                        None => return Err(unterminated(self)),
                        Some('n') => '\n',
                        Some('r') => '\r',
                        Some('t') => '\t',
                        Some(c @ ('"' | '\'' | '\\' | '/')) => c,
                        Some('u') => {
                            let hex = self.rest().get(..4).unwrap_or("");
                            let c = u32::from_str_radix(hex, 16)
                                .ok()
                                .filter(|_| hex.chars().all(|c| c.is_ascii_hexdigit()))
                                .and_then(char::from_u32);
                            let Some(c) = c else {
                                return Err(self.invalid(
                                    at,
                                    "`\\u` needs four hex digits naming a character (such as `\\u00e9`)",
                                ));
                            };
                            self.pos += 4;
                            c
                        }
                        Some(other) => {
                            return Err(self.invalid(
                                at,
                                format!(
                                    "unknown escape `\\{other}`; use \\\", \\', \\\\, \\n, \\r, \\t, \\/ or \\uXXXX"
                                ),
                            ));
                        }
                    };
                    out.push(escaped);
                }
                Some(c) => out.push(c),
            }
        }
    }
}

fn is_integer(text: &str) -> bool {
    !text.contains(['.', 'e', 'E'])
}

/// A field the unknown `word` was probably meant to be.
fn suggest_field(word: &str) -> Option<&'static str> {
    const FIELDS: [&str; 8] = [
        "status",
        "latency",
        "connect",
        "ttfb",
        "cert_days",
        "size",
        "body",
        "header",
    ];
    let lower = word.to_ascii_lowercase();
    let alias = match lower.as_str() {
        "code" | "status_code" | "statuscode" | "http_status" => Some("status"),
        "time" | "duration" | "response_time" | "elapsed" => Some("latency"),
        "cert" | "certificate" | "cert_expiry" | "days" | "certdays" => Some("cert_days"),
        "headers" => Some("header.<name>"),
        "length" | "content_length" | "body_size" | "bytes" => Some("size"),
        "json" => Some("body.$"),
        _ => None,
    };
    alias.or_else(|| {
        FIELDS
            .iter()
            .map(|f| (edit_distance(&lower, f), *f))
            .filter(|(d, _)| *d <= 2)
            .min_by_key(|(d, _)| *d)
            .map(|(_, f)| f)
    })
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// At most `max` characters of `text`, with `…` when cut.
fn shorten(text: &str, max: usize) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

// ---------------------------------------------------------------------------
// Evaluation

/// A three-valued result; `Pass` carries what was seen, for a negation that
/// turns it into a failure.
enum Tri {
    Pass(String),
    Fail(String),
    Unknown(String),
}

struct Ctx<'o, 'a> {
    obs: &'o Observation<'a>,
    /// The body parsed as JSON, on first use.
    json: OnceCell<Result<Value, String>>,
}

impl Ctx<'_, '_> {
    fn json(&self) -> Result<&Value, &str> {
        self.json
            .get_or_init(|| parse_body(self.obs.body))
            .as_ref()
            .map_err(String::as_str)
    }
}

fn parse_body(body: Option<&[u8]>) -> Result<Value, String> {
    let Some(body) = body else {
        return Err("no body was captured".to_owned());
    };
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("the body is empty, not JSON".to_owned());
    }
    serde_json::from_slice(body).map_err(|e| format!("the body is not JSON ({e})"))
}

impl Comparison {
    fn eval(&self, ctx: &Ctx<'_, '_>) -> Tri {
        let obs = ctx.obs;
        let subject = &self.subject;
        let shown = &self.shown;
        match &self.test {
            Test::Status(check) => {
                let Some(status) = obs.status else {
                    return Tri::Unknown(
                        "no HTTP status (the request did not complete)".to_owned(),
                    );
                };
                let actual = i64::from(status);
                let (holds, expected) = match check {
                    IntCheck::Cmp(op, n) => (op.holds(actual.cmp(n)), expectation(*op, shown)),
                    IntCheck::In(list) => (list.contains(&actual), format!("one of {shown}")),
                };
                verdict(subject, &status.to_string(), holds, &expected)
            }
            Test::CertDays(op, n) => match obs.cert_days {
                None => Tri::Unknown(
                    "no TLS certificate (plain http, or no TLS connection was made)".to_owned(),
                ),
                Some(days) => verdict(
                    subject,
                    &days.to_string(),
                    op.holds(days.cmp(n)),
                    &expectation(*op, shown),
                ),
            },
            Test::Timing(timing, op, limit) => {
                let (actual, missing) = match timing {
                    Timing::Latency => (obs.latency, "latency was not measured"),
                    Timing::Connect => (
                        obs.connect,
                        "connect time was not measured (no connection was opened, or a pooled one was reused)",
                    ),
                    Timing::Ttfb => (obs.ttfb, "time to first byte was not measured"),
                };
                match actual {
                    None => Tri::Unknown(missing.to_owned()),
                    Some(d) => verdict(
                        subject,
                        &format_duration(d),
                        op.holds(d.cmp(limit)),
                        &expectation(*op, shown),
                    ),
                }
            }
            Test::Size(op, limit) => {
                let size = obs
                    .body_size
                    .or_else(|| obs.body.map(|b| u64::try_from(b.len()).unwrap_or(u64::MAX)));
                match size {
                    None => Tri::Unknown("the body size is not known".to_owned()),
                    Some(n) => verdict(
                        subject,
                        &format_bytes(n),
                        op.holds(n.cmp(limit)),
                        &expectation(*op, shown),
                    ),
                }
            }
            Test::Header(name, check) => {
                let values: Vec<&str> = obs
                    .headers
                    .iter()
                    .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.as_str())
                    .collect();
                if values.is_empty() && obs.status.is_none() && obs.headers.is_empty() {
                    return Tri::Unknown(
                        "no response headers (the request did not complete)".to_owned(),
                    );
                }
                let actual = (!values.is_empty()).then(|| values.join(", "));
                eval_text(subject, shown, actual.as_deref().map(str::as_bytes), check)
            }
            Test::Body(check) => match obs.body {
                None => Tri::Unknown("no body was captured".to_owned()),
                Some(body) => eval_text(subject, shown, Some(body), check),
            },
            Test::Json(steps, check) => match ctx.json() {
                Err(why) => Tri::Unknown(why.to_owned()),
                Ok(root) => eval_json(subject, shown, resolve(root, steps), check),
            },
        }
    }
}

/// `{subject} is {actual}`, and when it does not hold, what was expected.
fn verdict(subject: &str, actual: &str, holds: bool, expected: &str) -> Tri {
    if holds {
        Tri::Pass(format!("{subject} is {actual}"))
    } else {
        Tri::Fail(format!("{subject} is {actual}, expected {expected}"))
    }
}

fn expectation(op: Op, shown: &str) -> String {
    match op {
        Op::Eq => shown.to_owned(),
        Op::Ne => format!("not {shown}"),
        _ => format!("{} {shown}", op.as_str()),
    }
}

/// Headers and the raw body; `None` is an absent header.
fn eval_text(subject: &str, shown: &str, actual: Option<&[u8]>, check: &TextCheck) -> Tri {
    let Some(bytes) = actual else {
        let absent = format!("{subject} is absent");
        let matches_null = match check {
            TextCheck::Eq(v) => v.is_none(),
            TextCheck::Ne(v) => v.is_some(),
            TextCheck::In(list) => list.iter().any(Option::is_none),
            TextCheck::Contains(_) => false,
        };
        return if matches_null {
            Tri::Pass(absent)
        } else {
            Tri::Fail(format!(
                "{absent}, expected {}",
                text_expectation(check, shown)
            ))
        };
    };
    let is_body = subject == "body";
    let display = || {
        if is_body {
            format!(
                "{} ({})",
                quote(&String::from_utf8_lossy(bytes)),
                format_bytes(u64::try_from(bytes.len()).unwrap_or(u64::MAX))
            )
        } else {
            quote(&String::from_utf8_lossy(bytes))
        }
    };
    let equals = |v: &Option<String>| v.as_deref().is_some_and(|v| v.as_bytes() == bytes);
    let holds = match check {
        TextCheck::Eq(v) => equals(v),
        TextCheck::Ne(v) => !equals(v),
        TextCheck::In(list) => list.iter().any(equals),
        TextCheck::Contains(needle) => {
            let found = contains_bytes(bytes, needle.as_bytes());
            return match (found, is_body) {
                (true, true) => Tri::Pass(format!("{subject} contains {shown}")),
                (false, true) => Tri::Fail(format!(
                    "{subject} does not contain {shown} ({} checked)",
                    format_bytes(u64::try_from(bytes.len()).unwrap_or(u64::MAX))
                )),
                (true, false) => Tri::Pass(format!("{subject} is {}", display())),
                (false, false) => Tri::Fail(format!(
                    "{subject} is {}, which does not contain {shown}",
                    display()
                )),
            };
        }
    };
    if holds {
        Tri::Pass(format!("{subject} is {}", display()))
    } else {
        Tri::Fail(format!(
            "{subject} is {}, expected {}",
            display(),
            text_expectation(check, shown)
        ))
    }
}

fn text_expectation(check: &TextCheck, shown: &str) -> String {
    match check {
        TextCheck::Eq(_) => shown.to_owned(),
        TextCheck::Ne(_) => format!("not {shown}"),
        TextCheck::In(_) => format!("one of {shown}"),
        TextCheck::Contains(_) => format!("something containing {shown}"),
    }
}

fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// Walks a JSON path; `Err` says why the value is missing.
fn resolve<'v>(root: &'v Value, steps: &[Step]) -> Result<&'v Value, String> {
    let mut current = root;
    for (i, step) in steps.iter().enumerate() {
        let here = || path_text(&steps[..i]);
        current = match (step, current) {
            (Step::Key(key), Value::Object(map)) => map
                .get(key)
                .ok_or_else(|| format!("`{}` has no member {}", here(), quote(key)))?,
            (Step::Index(index), Value::Array(items)) => {
                let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
                let at = if *index < 0 { len + index } else { *index };
                usize::try_from(at)
                    .ok()
                    .and_then(|at| items.get(at))
                    .ok_or_else(|| {
                        format!(
                            "`{}` has {}",
                            here(),
                            crate::text::count(items.len(), "item", "items")
                        )
                    })?
            }
            (Step::Key(_), other) => {
                return Err(format!(
                    "`{}` is {}, not an object",
                    here(),
                    json_kind(other)
                ));
            }
            (Step::Index(_), other) => {
                return Err(format!(
                    "`{}` is {}, not an array",
                    here(),
                    json_kind(other)
                ));
            }
        };
    }
    Ok(current)
}

fn path_text(steps: &[Step]) -> String {
    let mut out = String::from("$");
    for step in steps {
        match step {
            Step::Key(key)
                if !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '-') =>
            {
                out.push('.');
                out.push_str(key);
            }
            Step::Key(key) => {
                out.push('[');
                out.push_str(&quote(key));
                out.push(']');
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn eval_json(subject: &str, shown: &str, actual: Result<&Value, String>, check: &JsonCheck) -> Tri {
    let value = match actual {
        Ok(value) => value,
        Err(why) => {
            let missing = format!("{subject} is missing ({why})");
            let matches_null = match check {
                JsonCheck::Cmp(Op::Eq, lit) => matches!(lit, Lit::Null),
                JsonCheck::Cmp(Op::Ne, lit) => !matches!(lit, Lit::Null),
                JsonCheck::In(list) => list.iter().any(|l| matches!(l, Lit::Null)),
                JsonCheck::Cmp(..) | JsonCheck::Contains(_) => false,
            };
            return if matches_null {
                Tri::Pass(missing)
            } else {
                Tri::Fail(format!(
                    "{missing}, expected {}",
                    json_expectation(check, shown)
                ))
            };
        }
    };
    let display = show_json(value);
    let holds = match check {
        JsonCheck::Cmp(Op::Eq, lit) => json_eq(value, lit),
        JsonCheck::Cmp(Op::Ne, lit) => !json_eq(value, lit),
        JsonCheck::Cmp(op, lit) => {
            let Value::Number(n) = value else {
                return Tri::Fail(format!(
                    "{subject} is {display} ({}), expected a number {} {shown}",
                    json_kind(value),
                    op.as_str()
                ));
            };
            number_cmp(n, lit).is_some_and(|ord| op.holds(ord))
        }
        JsonCheck::In(list) => list.iter().any(|lit| json_eq(value, lit)),
        JsonCheck::Contains(lit) => match (value, lit) {
            (Value::String(s), Lit::Str(needle)) => s.contains(needle.as_str()),
            (Value::Array(items), lit) => items.iter().any(|item| json_eq(item, lit)),
            (Value::Object(map), Lit::Str(key)) => map.contains_key(key),
            (Value::String(_) | Value::Object(_), _) => {
                return Tri::Fail(format!(
                    "{subject} is {display} ({}); `contains` on it needs a string, found {shown}",
                    json_kind(value)
                ));
            }
            _ => {
                return Tri::Fail(format!(
                    "{subject} is {display} ({}); `contains` needs a string, an array or an object",
                    json_kind(value)
                ));
            }
        },
    };
    verdict(subject, &display, holds, &json_expectation(check, shown))
}

fn json_expectation(check: &JsonCheck, shown: &str) -> String {
    match check {
        JsonCheck::Cmp(op, _) => expectation(*op, shown),
        JsonCheck::In(_) => format!("one of {shown}"),
        JsonCheck::Contains(_) => format!("something containing {shown}"),
    }
}

fn json_eq(value: &Value, lit: &Lit) -> bool {
    match (value, lit) {
        (Value::Null, Lit::Null) => true,
        (Value::Bool(a), Lit::Bool(b)) => a == b,
        (Value::String(a), Lit::Str(b)) => a == b,
        (Value::Number(n), Lit::Int(_) | Lit::Float(_)) => {
            number_cmp(n, lit) == Some(Ordering::Equal)
        }
        _ => false,
    }
}

/// Compares a JSON number with a numeric literal, exactly when both are
/// integers.
fn number_cmp(n: &Number, lit: &Lit) -> Option<Ordering> {
    match lit {
        Lit::Int(b) => {
            if let Some(a) = n.as_i64() {
                Some(a.cmp(b))
            } else if n.as_u64().is_some() {
                // Larger than any i64.
                Some(Ordering::Greater)
            } else {
                n.as_f64()?.partial_cmp(&(*b as f64))
            }
        }
        Lit::Float(b) => n.as_f64()?.partial_cmp(b),
        _ => None,
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn show_json(value: &Value) -> String {
    match value {
        Value::Array(items) => format!(
            "an array of {}",
            crate::text::count(items.len(), "item", "items")
        ),
        Value::Object(map) => format!("an object with {} members", map.len()),
        Value::String(s) => quote(s),
        other => other.to_string(),
    }
}

/// A string in double quotes with JSON escapes, shortened.
fn quote(text: &str) -> String {
    let short = shorten(text, SHOWN_CHARS);
    serde_json::to_string(&short).unwrap_or(short)
}

fn format_duration(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{}ms", trim_decimals(format!("{ms:.2}")))
    } else if ms < 1000.0 {
        format!("{}ms", ms.round())
    } else {
        format!("{}s", trim_decimals(format!("{:.3}", d.as_secs_f64())))
    }
}

fn trim_decimals(text: String) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

fn format_bytes(n: u64) -> String {
    if n < 1024 {
        return format!("{n} B");
    }
    format!("{} ({n} bytes)", crate::text::size(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(text: &str) -> Condition {
        match Condition::parse(text) {
            Ok(c) => c,
            Err(e) => panic!("`{text}` should parse: {e}"),
        }
    }

    fn err(text: &str) -> ConditionError {
        match Condition::parse(text) {
            Ok(c) => panic!("`{text}` should not parse, got {c:?}"),
            Err(e) => e,
        }
    }

    fn ok_response() -> Observation<'static> {
        static HEADERS: std::sync::LazyLock<Vec<(String, String)>> =
            std::sync::LazyLock::new(|| {
                vec![
                    (
                        "content-type".into(),
                        "application/json; charset=utf-8".into(),
                    ),
                    ("set-cookie".into(), "a=1".into()),
                    ("set-cookie".into(), "b=2".into()),
                ]
            });
        Observation {
            status: Some(200),
            latency: Some(Duration::from_millis(420)),
            connect: Some(Duration::from_millis(35)),
            ttfb: Some(Duration::from_millis(250)),
            cert_days: Some(30),
            body: Some(
                br#"{"status":"ok","count":5,"ratio":0.5,"ready":true,"error":null,
                    "data":[{"id":"x"},{"id":"y"}],"key with spaces":1,"tags":["a","b"]}"#,
            ),
            body_size: None,
            headers: &HEADERS,
        }
    }

    fn eval(text: &str, obs: &Observation<'_>) -> Outcome {
        cond(text).eval(obs)
    }

    fn passes(text: &str) {
        assert_eq!(eval(text, &ok_response()), Outcome::Pass, "{text}");
    }

    fn fails(text: &str) -> String {
        match eval(text, &ok_response()) {
            Outcome::Fail(why) => why,
            other => panic!("`{text}` should fail, got {other:?}"),
        }
    }

    fn unknown(text: &str, obs: &Observation<'_>) -> String {
        match eval(text, obs) {
            Outcome::Unknown(why) => why,
            other => panic!("`{text}` should be unknown, got {other:?}"),
        }
    }

    #[test]
    fn status_forms() {
        for text in [
            "status == 200",
            "status != 500",
            "status in [200, 401]",
            "status in [200,]",
            "status < 400",
            "status <= 200",
            "status >= 200",
            "status > 199",
            "  status==200  ",
        ] {
            passes(text);
        }
        assert_eq!(
            eval(
                "status == 200",
                &Observation {
                    status: Some(503),
                    ..Default::default()
                }
            ),
            Outcome::Fail("status is 503, expected 200".into())
        );
        assert_eq!(fails("status != 200"), "status is 200, expected not 200");
        assert_eq!(
            fails("status in [201, 204]"),
            "status is 200, expected one of [201, 204]"
        );
        assert_eq!(fails("status > 200"), "status is 200, expected > 200");
    }

    #[test]
    fn timings() {
        passes("latency < 800ms");
        passes("latency <= 1.5s");
        passes("latency > 0.4s");
        passes("latency == 420ms");
        passes("connect < 100ms");
        passes("ttfb < 300ms");
        passes("latency < 1e3ms");
        passes("latency < 1S");
        assert_eq!(
            fails("latency < 400ms"),
            "latency is 420ms, expected < 400ms"
        );
        let slow = Observation {
            latency: Some(Duration::from_millis(1234)),
            ..ok_response()
        };
        assert_eq!(
            eval("latency < 1s", &slow),
            Outcome::Fail("latency is 1.234s, expected < 1s".into())
        );
        let fast = Observation {
            latency: Some(Duration::from_micros(2500)),
            ..ok_response()
        };
        assert_eq!(
            eval("latency > 5ms", &fast),
            Outcome::Fail("latency is 2.5ms, expected > 5ms".into())
        );
    }

    #[test]
    fn cert_days_and_size() {
        passes("cert_days > 14");
        passes("cert_days >= -1");
        assert_eq!(fails("cert_days > 60"), "cert_days is 30, expected > 60");
        passes("size < 1MiB");
        passes("size < 1KiB");
        passes("size > 10B");
        passes("size < 2kb");
        let big = Observation {
            body_size: Some(3 * 1024 * 1024),
            ..ok_response()
        };
        assert_eq!(
            eval("size < 1MiB", &big),
            Outcome::Fail("size is 3 MiB (3145728 bytes), expected < 1MiB".into())
        );
        let exact = Observation {
            body_size: Some(1536),
            ..ok_response()
        };
        assert!(eval("size == 1.5KiB", &exact).is_pass());
        assert!(eval("size == 1536", &exact).is_pass());
        assert!(eval("size == 1.536KB", &exact).is_pass());
        assert!(eval("size < 1MB", &exact).is_pass());
        assert!(eval("size < 1GiB", &exact).is_pass());
    }

    #[test]
    fn json_paths() {
        passes(r#"body.$.status == "ok""#);
        passes(r#"body.$.data[0].id == "x""#);
        passes(r#"body.$.data[-1].id == "y""#);
        passes(r#"body.$["key with spaces"] == 1"#);
        passes(r#"body.$['key with spaces'] == 1.0"#);
        passes("body.$.count > 3");
        passes("body.$.count == 5");
        passes("body.$.count == 5.0");
        passes("body.$.ratio < 1");
        passes("body.$.ready == true");
        passes("body.$.ready != false");
        passes("body.$.error == null");
        passes("body.$.missing == null");
        passes(r#"body.$.missing != "x""#);
        passes(r#"body.$.status in ["ok", "degraded"]"#);
        passes(r#"body.$.tags contains "b""#);
        passes(r#"body.$.status contains "o""#);
        passes(r#"body.$.data[1] contains "id""#);
        passes("body.$ != null");
        passes(r#"body.$ [ "status" ] == "ok""#.replace("$ [", "$[").as_str());

        assert_eq!(
            fails(r#"body.$.status == "down""#),
            r#"body.$.status is "ok", expected "down""#
        );
        assert_eq!(fails("body.$.count > 9"), "body.$.count is 5, expected > 9");
        assert_eq!(
            fails("body.$.status > 3"),
            r#"body.$.status is "ok" (a string), expected a number > 3"#
        );
        // No coercion between types.
        assert_eq!(
            fails(r#"body.$.count == "5""#),
            r#"body.$.count is 5, expected "5""#
        );
        assert_eq!(
            fails(r#"body.$.data[5].id == "x""#),
            r#"body.$.data[5].id is missing (`$.data` has 2 items), expected "x""#
        );
        assert_eq!(
            fails("body.$.data.id == 1"),
            "body.$.data.id is missing (`$.data` is an array, not an object), expected 1"
        );
        assert_eq!(
            fails("body.$.status[0] == 1"),
            "body.$.status[0] is missing (`$.status` is a string, not an array), expected 1"
        );
        assert_eq!(
            fails(r#"body.$.nope == "x""#),
            r#"body.$.nope is missing (`$` has no member "nope"), expected "x""#
        );
        assert_eq!(
            fails("body.$.error != null"),
            "body.$.error is null, expected not null"
        );
        assert!(fails("body.$.missing > 1").contains("is missing"));
        assert!(fails("body.$.count contains 1").contains("`contains` needs"));
        assert_eq!(
            fails("body.$.data == 1"),
            "body.$.data is an array of 2 items, expected 1"
        );
    }

    #[test]
    fn big_integers_compare_exactly() {
        let body = br#"{"n": 9007199254740993, "u": 18446744073709551615}"#;
        let obs = Observation {
            status: Some(200),
            body: Some(body),
            ..Default::default()
        };
        assert!(eval("body.$.n == 9007199254740993", &obs).is_pass());
        assert!(!eval("body.$.n == 9007199254740992", &obs).is_pass());
        assert!(eval("body.$.u > 9223372036854775807", &obs).is_pass());
        assert!(eval("body.$.u > 1e19", &obs).is_pass());
    }

    #[test]
    fn headers_and_body_text() {
        passes(r#"header.content-type contains "json""#);
        passes(r#"header.Content-Type contains "json""#);
        passes(r#"header.set-cookie == "a=1, b=2""#);
        passes("header.retry-after == null");
        passes(r#"header.retry-after != "5""#);
        passes(r#"header.content-type in ["text/html", "application/json; charset=utf-8"]"#);
        passes(r#"body contains "\"status\":\"ok\"""#);
        passes(r#"body contains 'ready'"#);
        passes(r#"body != "nope""#);
        assert_eq!(
            fails(r#"header.content-type contains "xml""#),
            r#"header.content-type is "application/json; charset=utf-8", which does not contain "xml""#
        );
        assert_eq!(
            fails(r#"header.x-missing == "1""#),
            r#"header.x-missing is absent, expected "1""#
        );
        assert_eq!(
            fails("header.content-type == null").split(',').next(),
            Some(r#"header.content-type is "application/json; charset=utf-8""#)
        );
        assert!(
            fails(r#"body contains "healthy""#).starts_with(r#"body does not contain "healthy""#)
        );
        let plain = Observation {
            status: Some(200),
            body: Some(b"healthy"),
            ..Default::default()
        };
        assert!(eval(r#"body == "healthy""#, &plain).is_pass());
        assert!(eval(r#"body contains "healthy""#, &plain).is_pass());
        assert!(eval(r#"body contains """#, &plain).is_pass());
        assert_eq!(
            eval(r#"body == "sick""#, &plain),
            Outcome::Fail(r#"body is "healthy" (7 B), expected "sick""#.into())
        );
        // Non-UTF-8 bodies are searched as bytes.
        let binary = Observation {
            status: Some(200),
            body: Some(b"\xff\xfeok\xff"),
            ..Default::default()
        };
        assert!(eval(r#"body contains "ok""#, &binary).is_pass());
    }

    #[test]
    fn unknowns() {
        let transport_error = Observation::default();
        assert_eq!(
            unknown("status == 200", &transport_error),
            "no HTTP status (the request did not complete)"
        );
        assert!(unknown("latency < 1s", &transport_error).contains("latency"));
        assert!(unknown("connect < 1s", &transport_error).contains("connect"));
        assert!(unknown("ttfb < 1s", &transport_error).contains("first byte"));
        assert!(unknown("cert_days > 1", &transport_error).contains("no TLS certificate"));
        assert!(unknown("size < 1MiB", &transport_error).contains("size"));
        assert!(unknown(r#"header.a == "b""#, &transport_error).contains("no response headers"));
        assert!(unknown(r#"body contains "x""#, &transport_error).contains("no body"));
        assert!(unknown("body.$.x == 1", &transport_error).contains("no body"));
        let html = Observation {
            status: Some(200),
            body: Some(b"<html>"),
            ..Default::default()
        };
        assert!(unknown("body.$.x == 1", &html).starts_with("the body is not JSON"));
        let empty = Observation {
            status: Some(200),
            body: Some(b"  "),
            ..Default::default()
        };
        assert_eq!(
            unknown("body.$.x == 1", &empty),
            "the body is empty, not JSON"
        );
        // With a status, no headers means the header is absent.
        let bare = Observation {
            status: Some(204),
            ..Default::default()
        };
        assert!(eval("header.etag == null", &bare).is_pass());
        // A UTF-8 BOM does not stop JSON parsing.
        let bom = Observation {
            status: Some(200),
            body: Some(b"\xEF\xBB\xBF{\"a\":1}"),
            ..Default::default()
        };
        assert!(eval("body.$.a == 1", &bom).is_pass());
    }

    #[test]
    fn precedence_and_three_valued_logic() {
        // `||` binds looser than `&&`: true || (false && false).
        passes("status == 200 || status == 500 && status == 404");
        // Parentheses change it: (true || false) && false.
        assert!(
            fails("(status == 200 || status == 500) && status == 404").contains("expected 404")
        );
        // `!` binds tighter than `&&`.
        passes("!status == 500 && status == 200");
        passes("!(status == 500)");
        passes("!!(status == 200)");
        passes("! ( status == 500 || latency > 1s )");
        assert_eq!(
            fails("!(status == 200)"),
            "status is 200, expected not `(status == 200)`"
        );
        assert_eq!(
            fails("!status == 200"),
            "status is 200, expected not `status == 200`"
        );
        assert_eq!(
            fails("status == 500 || latency < 1ms"),
            "status is 200, expected 500; latency is 420ms, expected < 1ms"
        );

        let plain_http = Observation {
            cert_days: None,
            ..ok_response()
        };
        // Unknown && pass = unknown; unknown && fail = fail.
        assert!(matches!(
            eval("cert_days > 14 && status == 200", &plain_http),
            Outcome::Unknown(_)
        ));
        assert!(matches!(
            eval("cert_days > 14 && status == 500", &plain_http),
            Outcome::Fail(_)
        ));
        // Unknown || pass = pass; unknown || fail = unknown.
        assert!(eval("cert_days > 14 || status == 200", &plain_http).is_pass());
        assert!(matches!(
            eval("cert_days > 14 || status == 500", &plain_http),
            Outcome::Unknown(_)
        ));
        // !unknown = unknown.
        assert!(matches!(
            eval("!(cert_days > 14)", &plain_http),
            Outcome::Unknown(_)
        ));
    }

    #[test]
    fn json_is_parsed_lazily() {
        // A failing left side decides `&&` before the body is looked at.
        let ctx_obs = Observation {
            status: Some(500),
            body: Some(b"not json"),
            ..Default::default()
        };
        let c = cond("status == 200 && body.$.ok == true");
        let ctx = Ctx {
            obs: &ctx_obs,
            json: OnceCell::new(),
        };
        assert!(matches!(c.eval_expr(&c.expr, &ctx), Tri::Fail(_)));
        assert!(ctx.json.get().is_none(), "body parsed although not needed");
        // Two JSON fields parse the body once.
        let obs = ok_response();
        let c = cond(r#"body.$.status == "ok" && body.$.count > 1"#);
        let ctx = Ctx {
            obs: &obs,
            json: OnceCell::new(),
        };
        assert!(matches!(c.eval_expr(&c.expr, &ctx), Tri::Pass(_)));
        assert!(ctx.json.get().is_some());
    }

    #[test]
    fn api_surface() {
        let c: Condition = "status == 200 && body.$.ok == true".parse().unwrap();
        assert_eq!(c.source(), "status == 200 && body.$.ok == true");
        assert_eq!(c.to_string(), c.source());
        assert!(c.needs_body());
        assert!(!cond("status == 200 || !(latency < 1s)").needs_body());
        assert!(cond(r#"!(body contains "x")"#).needs_body());
        assert_eq!(Outcome::Pass.to_string(), "pass");
        assert_eq!(Outcome::Fail("x".into()).reason(), Some("x"));
        assert_eq!(Outcome::Unknown("y".into()).to_string(), "unknown: y");
        // Serde: as a string, and parse errors surface.
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, r#""status == 200 && body.$.ok == true""#);
        let back: Condition = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
        let bad = serde_json::from_str::<Condition>(r#""status = 200""#).unwrap_err();
        assert!(bad.to_string().contains("write `==`"), "{bad}");
    }

    #[test]
    fn errors_name_column_and_expectation() {
        assert_eq!(
            err("latency < abc").to_string(),
            "at column 11: expected a duration (such as 800ms or 1.5s) after `<`, found `abc`"
        );
        assert_eq!(
            err("status == ").to_string(),
            "at column 11: expected a status code (such as 200) after `==`, found the end of the condition"
        );
        assert_eq!(
            err("stauts == 200").to_string(),
            format!(
                "at column 1: unknown field `stauts` (did you mean `status`?); fields are {FIELD_LIST}"
            )
        );
        let e = err("status == 200 && code == 200");
        assert_eq!(e.column(), Some(18));
        assert!(matches!(
            e,
            ConditionError::UnknownField {
                suggestion: Some("status"),
                ..
            }
        ));
        assert!(matches!(
            err("frobnicate > 1"),
            ConditionError::UnknownField {
                suggestion: None,
                ..
            }
        ));
        assert_eq!(
            err("latency < 800").to_string(),
            "at column 11: a duration needs a unit: write `800ms` or `800s`"
        );
        assert_eq!(
            err("latency < 5min").to_string(),
            "at column 11: unknown duration unit `min`; use ms or s"
        );
        assert_eq!(
            err("latency < -5ms").to_string(),
            "at column 11: a duration cannot be negative"
        );
        assert!(
            err("size < 1TB")
                .to_string()
                .contains("unknown size unit `TB`")
        );
        assert_eq!(
            err("status = 200").to_string(),
            "at column 8: write `==` to compare"
        );
        assert_eq!(
            err("status 200").to_string(),
            "at column 8: expected an operator after `status` (==, !=, <, <=, >, >= or in), found `200`"
        );
        assert_eq!(
            err("latency in [1s]").to_string(),
            "at column 9: `latency` cannot be used with `in`; use ==, !=, <, <=, > or >="
        );
        assert!(
            err("status contains 2")
                .to_string()
                .contains("cannot be used with `contains`")
        );
        assert!(
            err("body > 3")
                .to_string()
                .contains("`body` cannot be used with `>`")
        );
        assert_eq!(
            err("status == 200 and latency < 1s").to_string(),
            "at column 15: write `&&` instead of `and`"
        );
        assert_eq!(
            err("status == 200 | status == 1").to_string(),
            "at column 15: write `||` instead of `|`"
        );
        assert_eq!(
            err("not status == 200").to_string(),
            "at column 1: write `!` instead of `not`"
        );
        assert_eq!(
            err("status == 200 200").to_string(),
            "at column 15: expected `&&`, `||` or the end of the condition, found `200`"
        );
        assert_eq!(
            err("status == 200)").to_string(),
            "at column 14: this `)` has no matching `(`"
        );
        assert_eq!(
            err("(status == 200").to_string(),
            "at column 15: expected `&&`, `||` or `)` to close the `(` at column 1, found the end of the condition"
        );
        assert_eq!(
            err("status in [200 401]").to_string(),
            "at column 16: expected `,` or `]` to close the list opened at column 11, found `401`"
        );
        assert_eq!(
            err("status in []").to_string(),
            "at column 11: the list is empty, so nothing could be in it"
        );
        assert!(
            err("status in 200")
                .to_string()
                .contains("a list in `[` `]`")
        );
        assert_eq!(
            err("status == 1000").to_string(),
            "at column 11: `1000` is not a status code (they run from 100 to 599)"
        );
        assert!(err("status == 200ms").to_string().contains("found `200ms`"));
        assert!(
            err("status == \"200\"")
                .to_string()
                .contains("found `\"200\"`")
        );
        assert_eq!(
            err("body.status == 1").to_string(),
            "at column 6: expected `$` after `body.` (a JSON path such as `body.$.status`), found `status`"
        );
        assert!(
            err("body.$. == 1")
                .to_string()
                .starts_with("at column 8: expected a member name")
        );
        assert!(
            err("body.$[x] == 1")
                .to_string()
                .starts_with("at column 8: expected an index")
        );
        assert!(
            err("body.$[0 == 1")
                .to_string()
                .starts_with("at column 10: expected `]`")
        );
        assert!(
            err("body.$.n > \"3\"")
                .to_string()
                .contains("expected a number after `>`")
        );
        assert_eq!(
            err("body.$.n == 3ms").to_string(),
            "at column 13: a JSON number takes no unit; remove `ms`"
        );
        assert!(err("body.$.n == yes").to_string().contains("a JSON value"));
        assert!(
            err("header == \"x\"")
                .to_string()
                .contains("`.` and a header name")
        );
        assert!(
            err("header. == \"x\"")
                .to_string()
                .contains("a header name after `header.`")
        );
        assert!(
            err("header.a contains null")
                .to_string()
                .contains("a quoted string after `contains`")
        );
        assert!(
            err("status.code == 1")
                .to_string()
                .contains("`status` has no parts")
        );
        assert!(
            err("== 200")
                .to_string()
                .starts_with("at column 1: expected a field")
        );
        assert!(
            err("status == 200 &&")
                .to_string()
                .contains("found the end of the condition")
        );
        assert_eq!(err("").to_string(), "the condition is empty");
        assert_eq!(err("   ").column(), None);
        // Columns count characters, not bytes.
        assert_eq!(err("body.$.é == ü").column(), Some(13));
    }

    #[test]
    fn strings_and_escapes() {
        let obs = Observation {
            status: Some(200),
            body: Some(br#"{"q":"say \"hi\"\n","e":"\u00e9","s":"a/b"}"#),
            ..Default::default()
        };
        assert!(eval(r#"body.$.q == "say \"hi\"\n""#, &obs).is_pass());
        assert!(eval(r#"body.$.q == 'say "hi"\n'"#, &obs).is_pass());
        assert!(eval(r#"body.$.e == "\u00e9""#, &obs).is_pass());
        assert!(eval(r#"body.$.e == "é""#, &obs).is_pass());
        assert!(eval(r#"body.$.s == "a\/b""#, &obs).is_pass());
        assert_eq!(
            err(r#"body contains "abc"#).to_string(),
            "at column 15: unterminated string: this \" is never closed"
        );
        assert!(
            err(r#"body contains "ab\"#)
                .to_string()
                .contains("unterminated")
        );
        assert!(
            err(r#"body contains "\q""#)
                .to_string()
                .contains("unknown escape `\\q`")
        );
        assert!(
            err(r#"body contains "\u12""#)
                .to_string()
                .contains("four hex digits")
        );
        assert!(
            err(r#"body contains "\ud800""#)
                .to_string()
                .contains("four hex digits")
        );
        assert!(
            err(r#"body contains "\u+12a""#)
                .to_string()
                .contains("four hex digits")
        );
        assert!(
            err(r#"body contains "\uéééé""#)
                .to_string()
                .contains("four hex digits")
        );
    }

    #[test]
    fn hostile_input_is_an_error_not_a_panic() {
        // Deep nesting.
        let deep = format!("{}status == 200{}", "(".repeat(100), ")".repeat(100));
        assert!(matches!(
            err(&deep),
            ConditionError::TooDeep { max: MAX_DEPTH, .. }
        ));
        let nots = format!("{}status == 200", "!".repeat(500));
        assert!(matches!(err(&nots), ConditionError::TooDeep { .. }));
        let fine = format!(
            "{}status == 200{}",
            "(".repeat(MAX_DEPTH),
            ")".repeat(MAX_DEPTH)
        );
        assert!(cond(&fine).eval(&ok_response()).is_pass());
        // Long input, counted in characters.
        let long = format!("status == 200{}", " ".repeat(MAX_LENGTH));
        assert!(matches!(err(&long), ConditionError::TooLong { .. }));
        let wide = "é".repeat(MAX_LENGTH);
        assert!(!matches!(err(&wide), ConditionError::TooLong { .. }));
        // Long but flat chains are fine.
        let chain = vec!["status==200"; 60].join("&&");
        assert!(cond(&chain).eval(&ok_response()).is_pass());
        // Huge numbers.
        assert!(
            err("status == 99999999999999999999999999")
                .to_string()
                .contains("not a status code")
        );
        assert!(
            err("cert_days > 99999999999999999999999999")
                .to_string()
                .contains("too large")
        );
        assert!(
            err("latency < 1e300s")
                .to_string()
                .contains("too long a duration")
        );
        assert!(
            err("latency < 99999999999999999999999999s")
                .to_string()
                .contains("too long")
        );
        assert!(
            err("size < 1e30GiB")
                .to_string()
                .contains("too large a size")
        );
        assert!(
            err("size < 18446744073709551616")
                .to_string()
                .contains("too large a size")
        );
        assert!(
            err("body.$.n == 1e999")
                .to_string()
                .contains("too large a number")
        );
        assert!(
            err("body.$[99999999999999999999] == 1")
                .to_string()
                .contains("not a usable index")
        );
        assert!(
            err("body.$[--1] == 1")
                .to_string()
                .contains("not a usable index")
        );
        let huge_ok = cond("body.$.n == 123456789012345678901234567890");
        assert!(!huge_ok.eval(&ok_response()).is_pass());
        assert!(eval("body.$.data[-9223372036854775808] == null", &ok_response()).is_pass());
        // Unterminated things and junk.
        for text in [
            "\"",
            "'",
            "(",
            ")",
            "!",
            "[",
            "body.$[",
            "body.$[\"",
            "status in [",
            "status in [200,",
            "header.",
            "&&",
            "||",
            "status ==== 200",
            "status == 200 &&& 1",
            "body.$.a == -",
            "latency < .5s",
            "\u{0}",
            "status\u{0}== 200",
            "😀 == 1",
            "body.$.😀 == 1",
            "status == 2\u{301}00",
            "size < 1.5.5KiB",
        ] {
            // Must not panic; errors are fine.
            let _ = Condition::parse(text);
        }
    }
}
