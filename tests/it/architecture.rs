//! The shape of the crate, checked from its source: imports point down.
//!
//! Every file under `src/` is a module (`a/b.rs` and `a/b/mod.rs` are
//! `a::b`). A module depends on another when it names it through a
//! `crate::`, `super::` or `self::` path, in a `use` or inline, outside
//! comments and its `#[cfg(test)]` tail. Edges between a module and its own
//! ancestors are left out: a parent declares its children and children use
//! what their parent defines, which is how Rust modules are built. What is
//! left must have no cycle, between files and between top-level modules,
//! and the store must import nothing above it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Modules the store may use: its own, the plain types of a watch, and
/// the wildcard match (a leaf that imports nothing).
const STORE_MAY_USE: &[&str] = &["store", "watch", "fetch", "glob"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every module of the library with its file.
fn modules() -> BTreeMap<String, PathBuf> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("read src")
            .map(|e| e.expect("a directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, root, out);
                continue;
            }
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let rel = path.strip_prefix(root).expect("under src");
            let mut parts: Vec<String> = rel
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts == ["lib"] || parts == ["main"] {
                continue;
            }
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            out.insert(parts.join("::"), path);
        }
    }
    let mut out = BTreeMap::new();
    walk(&src(), &src(), &mut out);
    out
}

/// The code of a file without comment lines, string contents and the
/// `#[cfg(test)]` part at its end.
fn code_of(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") {
            break;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        let mut in_string = false;
        let mut escaped = false;
        for c in line.chars() {
            match (in_string, escaped, c) {
                (true, true, _) => escaped = false,
                (true, false, '\\') => escaped = true,
                (true, false, '"') => {
                    in_string = false;
                    out.push('"');
                }
                (true, false, _) => {}
                (false, _, '"') => {
                    in_string = true;
                    out.push('"');
                }
                (false, _, c) => out.push(c),
            }
        }
        out.push('\n');
    }
    out
}

/// The paths of a use tree such as `crate::{a, b::{c, d as e}}`.
fn expand_use(tree: &str) -> Vec<Vec<String>> {
    fn split_top(s: &str) -> Vec<&str> {
        let (mut parts, mut depth, mut start) = (Vec::new(), 0i32, 0);
        for (i, c) in s.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(&s[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        parts.push(&s[start..]);
        parts
    }
    fn go(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
        let tree = tree.trim();
        if tree.is_empty() {
            return;
        }
        if let Some(inner) = tree.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
            for part in split_top(inner) {
                go(prefix, part, out);
            }
            return;
        }
        if let Some(brace) = tree.find('{') {
            let head = tree[..brace].trim_end_matches("::");
            let mut p = prefix.to_vec();
            p.extend(head.split("::").map(|s| s.trim().to_string()));
            go(&p, &tree[brace..], out);
            return;
        }
        let path = tree.split(" as ").next().unwrap_or(tree);
        let mut p = prefix.to_vec();
        p.extend(path.split("::").map(|s| s.trim().to_string()));
        out.push(p);
    }
    let mut out = Vec::new();
    go(&[], tree, &mut out);
    out
}

/// Every `crate::`/`super::`/`self::` path named in `code`.
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    // use statements, whose trees can span lines
    let mut rest = code;
    while let Some(at) = rest.find("use ") {
        let before = rest[..at].chars().last();
        let after = &rest[at + 4..];
        rest = after;
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let tree = after.trim_start();
        if !(tree.starts_with("crate") || tree.starts_with("super") || tree.starts_with("self")) {
            continue;
        }
        if let Some(end) = tree.find(';') {
            paths.extend(expand_use(&tree[..end].replace('\n', " ")));
        }
    }
    // inline paths
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(start) {
            let at = from + i;
            from = at + start.len();
            if code[..at]
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
            {
                continue;
            }
            let path: String = code[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            paths.push(
                path.split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            );
        }
    }
    paths
}

/// The deepest module a path from `current` lands in.
fn resolve(
    modules: &BTreeMap<String, PathBuf>,
    current: &[String],
    path: &[String],
) -> Option<String> {
    let (mut base, mut rest): (Vec<String>, &[String]) = match path.first()?.as_str() {
        "crate" => (Vec::new(), &path[1..]),
        "self" => (current.to_vec(), &path[1..]),
        "super" => (current.to_vec(), path),
        _ => return None,
    };
    while rest.first().is_some_and(|s| s == "super") {
        base.pop();
        rest = &rest[1..];
    }
    base.extend(rest.iter().cloned());
    (1..=base.len())
        .rev()
        .map(|k| base[..k].join("::"))
        .find(|name| modules.contains_key(name))
}

fn is_prefix(a: &[&str], b: &[&str]) -> bool {
    a.len() <= b.len() && a == &b[..a.len()]
}

/// Module → the modules it depends on (ancestor links left out).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, file) in &modules {
        let text = std::fs::read_to_string(file).expect("read a source file");
        let current: Vec<String> = name.split("::").map(str::to_string).collect();
        let deps = graph.entry(name.clone()).or_default();
        for path in paths_in(&code_of(&text)) {
            let Some(target) = resolve(&modules, &current, &path) else {
                continue;
            };
            let (a, b): (Vec<&str>, Vec<&str>) =
                (name.split("::").collect(), target.split("::").collect());
            if target != *name && !is_prefix(&a, &b) && !is_prefix(&b, &a) {
                deps.insert(target);
            }
        }
    }
    graph
}

/// The strongly connected components with more than one node (Tarjan).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        let graph = s.graph;
        for w in graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v.as_str());
        }
    }
    s.found
}

fn top_level(graph: &BTreeMap<String, BTreeSet<String>>) -> BTreeMap<String, BTreeSet<String>> {
    let top = |m: &str| m.split("::").next().unwrap_or(m).to_string();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, deps) in graph {
        let entry = out.entry(top(from)).or_default();
        for to in deps {
            if top(to) != top(from) {
                entry.insert(top(to));
            }
        }
    }
    out
}

#[test]
fn no_import_cycles_between_files() {
    let cycles = cycles(&graph());
    assert!(
        cycles.is_empty(),
        "modules that import each other: {cycles:?}"
    );
}

#[test]
fn no_import_cycles_between_top_level_modules() {
    let top = top_level(&graph());
    let cycles = cycles(&top);
    assert!(
        cycles.is_empty(),
        "top-level modules that import each other: {cycles:?}\n{top:#?}"
    );
}

#[test]
fn the_store_imports_nothing_above_it() {
    let graph = graph();
    let above: Vec<(&String, &String)> = graph
        .iter()
        .filter(|(from, _)| from.starts_with("store"))
        .flat_map(|(from, deps)| deps.iter().map(move |to| (from, to)))
        .filter(|(_, to)| !STORE_MAY_USE.contains(&to.split("::").next().unwrap_or(to)))
        .collect();
    assert!(above.is_empty(), "the store imports upward: {above:?}");
}

#[test]
fn the_checker_sees_imports_of_every_form() {
    let code = code_of(
        "use crate::{alert::{self, change}, store as s};\n\
         // use crate::commented::Out;\n\
         let x = \"crate::in_a_string\";\n\
         fn f() { super::super::sibling::g(); crate::deep::path::Item::new(); }\n\
         #[cfg(test)]\nmod tests { use crate::only_in_tests; }\n",
    );
    let paths: Vec<String> = paths_in(&code).iter().map(|p| p.join("::")).collect();
    for want in [
        "crate::alert::self",
        "crate::alert::change",
        "crate::store",
        "super::super::sibling::g",
        "crate::deep::path::Item::new",
    ] {
        assert!(paths.iter().any(|p| p == want), "{want} in {paths:?}");
    }
    assert!(!paths.iter().any(|p| p.contains("commented")));
    assert!(!paths.iter().any(|p| p.contains("in_a_string")));
    assert!(!paths.iter().any(|p| p.contains("only_in_tests")));
    let mut g = BTreeMap::new();
    g.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    g.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    g.insert("c".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(cycles(&g), vec![vec!["a".to_string(), "b".to_string()]]);
}
