//! `apiradar diff` on descriptions split over several files: references to
//! files beside the document are followed, references to URLs only with
//! `--allow-remote-refs`, and cycles between files end.

use crate::common::{Reply, Sandbox, Server};
use serde_json::Value;

const ROOT: &str = r#"openapi: 3.0.0
info: {title: split, version: "1"}
paths:
  /pets/{petId}:
    get:
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "./schemas/pet.yaml#/Pet"}
              example: {$ref: "./looks-like-a-ref.yaml"}
"#;

const PET_V1: &str = r#"Pet:
  type: object
  required: [name]
  properties:
    name: {type: string}
    owner: {$ref: "owner.yaml"}
"#;

const PET_V2: &str = r#"Pet:
  type: object
  properties:
    name: {type: string}
    owner: {$ref: "owner.yaml"}
"#;

/// Owners list their pets: a cycle between two files.
const OWNER: &str = r#"type: object
properties:
  pets:
    type: array
    items: {$ref: "pet.yaml#/Pet"}
"#;

fn ids(changes: &Value) -> Vec<String> {
    changes["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["id"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn references_to_local_files_are_followed_relative_to_the_document() {
    let sb = Sandbox::new();
    for (dir, pet) in [("v1", PET_V1), ("v2", PET_V2)] {
        sb.write(&format!("{dir}/openapi.yaml"), ROOT);
        sb.write(&format!("{dir}/schemas/pet.yaml"), pet);
        sb.write(&format!("{dir}/schemas/owner.yaml"), OWNER);
    }
    let base = sb.path("v1/openapi.yaml");
    let rev = sb.path("v2/openapi.yaml");
    let out = sb
        .run([
            "diff",
            base.to_str().unwrap(),
            rev.to_str().unwrap(),
            "--format",
            "json",
            "--level",
            "info",
        ])
        .expect_code(0);
    let found = ids(&out.json());
    assert_eq!(
        found,
        ["response-property-became-optional"],
        "{}",
        out.stderr
    );
    // The example's look-alike was not read, so nothing complains of it.
    assert!(!out.stderr.contains("looks-like-a-ref"), "{}", out.stderr);

    // A missing file is a note; the rest is still compared.
    std::fs::remove_file(sb.path("v2/schemas/owner.yaml")).unwrap();
    let out = sb
        .run([
            "diff",
            base.to_str().unwrap(),
            rev.to_str().unwrap(),
            "--format",
            "json",
        ])
        .expect_code(0);
    assert!(
        out.stderr.contains("could not read schemas/owner.yaml"),
        "{}",
        out.stderr
    );
    assert!(ids(&out.json()).contains(&"response-property-became-optional".to_string()));
}

#[test]
fn remote_references_need_permission() {
    let sb = Sandbox::new();
    let server = Server::start();
    server.set("/schemas/pet.yaml", Reply::ok(PET_V2));
    server.set("/schemas/owner.yaml", Reply::ok(OWNER));
    let remote_root = ROOT.replace("./schemas/pet.yaml", &server.url("/schemas/pet.yaml"));
    sb.write("v1/openapi.yaml", ROOT);
    sb.write("v1/schemas/pet.yaml", PET_V1);
    sb.write("v1/schemas/owner.yaml", OWNER);
    let rev = sb.write("v2/openapi.yaml", remote_root);
    let base = sb.path("v1/openapi.yaml");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "diff".to_string(),
            base.display().to_string(),
            rev.display().to_string(),
            "--format".into(),
            "json".into(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };

    let out = sb.run(args(&[])).expect_code(0);
    assert!(out.stderr.contains("--allow-remote-refs"), "{}", out.stderr);
    assert_eq!(server.hits("/schemas/pet.yaml"), 0);

    let out = sb.run(args(&["--allow-remote-refs"])).expect_code(0);
    assert_eq!(
        ids(&out.json()),
        ["response-property-became-optional"],
        "{}",
        out.stderr
    );
    // The remote file's relative reference was fetched from the server too,
    // each file once.
    assert_eq!(server.hits("/schemas/pet.yaml"), 1);
    assert_eq!(server.hits("/schemas/owner.yaml"), 1);
}

#[test]
fn a_served_document_cannot_make_apiradar_read_local_files() {
    let sb = Sandbox::new();
    let secret = sb.write(
        "secret.yaml",
        "Pet: {type: object, properties: {leak: {type: string}}}\n",
    );
    let server = Server::start();
    let hostile = ROOT.replace(
        "./schemas/pet.yaml",
        &format!("file://{}", secret.display()),
    );
    server.set("/openapi.yaml", Reply::ok(hostile));
    let url = server.url("/openapi.yaml");
    let out = sb
        .run([
            "diff",
            &url,
            &url,
            "--allow-remote-refs",
            "--format",
            "json",
        ])
        .expect_code(0);
    assert!(
        out.stderr.contains("may not refer to local files"),
        "{}",
        out.stderr
    );
}
