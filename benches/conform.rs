//! Validating a 10 MB JSON response against its declared schema (the
//! shop's item list: 3.0 translation, `$ref`s, undeclared-property walk,
//! shape), against only parsing the same bytes.

use criterion::{Criterion, criterion_group, criterion_main};

use apiradar::health::conform::{Described, Response};

/// The binary's allocator (`src/main.rs`), so that these figures are its.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn spec() -> serde_json::Value {
    serde_json::json!({
        "openapi": "3.0.3",
        "paths": {"/v1/items": {"get": {"responses": {"200": {"description": "ok",
            "content": {"application/json": {"schema": {"type": "array",
                "items": {"$ref": "#/components/schemas/Item"}}}}}}}}},
        "components": {"schemas": {"Item": {"type": "object", "required": ["id", "name"],
            "properties": {
                "id": {"type": "integer"}, "name": {"type": "string"},
                "price": {"type": "number", "minimum": 0},
                "color": {"type": "string", "enum": ["red", "blue"]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "note": {"type": "string", "nullable": true}}}}}
    })
}

fn body() -> Vec<u8> {
    let mut out = String::from("[");
    let mut i = 0;
    while out.len() < 10 * 1024 * 1024 {
        if i > 0 {
            out.push(',');
        }
        // Every 100th item drifts.
        let id = if i % 100 == 0 {
            format!("\"{i}\"")
        } else {
            i.to_string()
        };
        out.push_str(&format!(
            r#"{{"id": {id}, "name": "item {i}", "price": {}.5, "color": "red", "tags": ["a", "b"], "note": null}}"#,
            i % 50
        ));
        i += 1;
    }
    out.push(']');
    out.into_bytes()
}

fn bench(c: &mut Criterion) {
    let described = Described::new(&spec()).expect("a description");
    let body = body();
    let mut group = c.benchmark_group("conform_10mb");
    group.sample_size(10);
    group.bench_function("parse_only", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(&body).map(|v| v.is_array()))
    });
    group.bench_function("validate", |b| {
        b.iter(|| {
            described.check(
                "GET",
                "/v1/items",
                &Response {
                    status: 200,
                    content_type: Some("application/json"),
                    body: &body,
                    complete: true,
                },
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
