//! Reusable components: schemas removed from `components`.

use super::Pair;
use crate::diff::{join_pointer, registry};

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
            registry::API_SCHEMA_REMOVED,
            name,
            format!("component schema `{name}` was removed"),
            Some(join_pointer("/components/schemas", name)),
            None,
        );
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{diff, doc, ids, only};
    use crate::diff::Level;

    fn with_schemas(schemas: serde_json::Value) -> serde_json::Value {
        let mut d = doc(json!({}));
        d["components"] = json!({ "schemas": schemas });
        d
    }

    #[test]
    fn a_renamed_schema_is_the_old_name_removed_and_nothing_else() {
        let base = with_schemas(json!({"Pet": {"type": "object"}, "Toy": {"type": "string"}}));
        let rev = with_schemas(json!({"Animal": {"type": "object"}, "Toy": {"type": "string"}}));
        let f = only(&diff(&base, &rev)).clone();
        assert_eq!((f.level, f.id), (Level::Info, "api-schema-removed"));
        assert_eq!(&*f.message, "component schema `Pet` was removed");
        assert_eq!(f.base_pointer.as_deref(), Some("/components/schemas/Pet"));
        assert_eq!(f.revision_pointer, None);
        // About the document, not an operation.
        assert_eq!((f.operation, f.path), (None, None));
        // `Animal` was added: no news. Backwards, it is the one removed.
        let back = diff(&rev, &base);
        assert_eq!(ids(&back), [(Level::Info, "api-schema-removed")]);
        assert_eq!(&*back[0].message, "component schema `Animal` was removed");
    }

    #[test]
    fn a_schema_name_is_escaped_in_its_pointer() {
        let base = with_schemas(json!({"a/b~c": {"type": "object"}}));
        let rev = with_schemas(json!({}));
        let f = only(&diff(&base, &rev)).clone();
        assert_eq!(
            f.base_pointer.as_deref(),
            Some("/components/schemas/a~1b~0c")
        );
        // Every document without components removes nothing.
        assert!(diff(&doc(json!({})), &rev).is_empty());
    }
}
