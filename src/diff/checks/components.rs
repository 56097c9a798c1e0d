//! Reusable components: schemas removed from `components`.

use super::Pair;
use crate::diff::join_pointer;

pub fn compare(pair: &mut Pair<'_>) {
    let schemas = |doc: &crate::diff::Doc<'_>| {
        super::members(
            doc.root()
                .get("components")
                .unwrap_or(&serde_json::Value::Null),
            "schemas",
        )
        .keys()
        .cloned()
        .collect::<Vec<String>>()
    };
    let (base, rev) = (schemas(pair.base), schemas(pair.rev));
    for name in base.iter().filter(|n| !rev.contains(n)) {
        pair.out.emit(
            "api-schema-removed",
            name,
            format!("component schema `{name}` was removed"),
            Some(join_pointer("/components/schemas", name)),
            None,
        );
    }
}
