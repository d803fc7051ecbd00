//! The SPA's API client is generated from a snapshot of the OpenAPI document
//! (`frontend/openapi.json`). This spec fails when the document the gateway
//! serves drifts from that snapshot, so the client is never silently stale.
//!
//! Refresh the snapshot (then regenerate the client) with:
//!
//! ```sh
//! UPDATE_OPENAPI_SNAPSHOT=1 cargo xtask test -E 'test(served_openapi_document_matches)'
//! cd frontend && npm run gen:api
//! ```

use std::path::PathBuf;

use serde_json::Value;

use crate::helpers::TestGateway;

/// JSON pointers to where `a` and `b` differ (at most `limit`).
fn differences(a: &Value, b: &Value, at: &str, limit: usize, out: &mut Vec<String>) {
    if out.len() >= limit || a == b {
        return;
    }
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let here = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => differences(x, y, &here, limit, out),
                    (Some(_), None) => out.push(format!("{here}: served, not in the snapshot")),
                    (None, _) => out.push(format!("{here}: in the snapshot, no longer served")),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (x, y)) in x.iter().zip(y).enumerate() {
                differences(x, y, &format!("{at}/{i}"), limit, out);
            }
        }
        _ => out.push(format!("{at}: changed")),
    }
}

fn snapshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the gateway crate is inside the workspace")
        .join("frontend/openapi.json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_openapi_document_matches_the_spa_snapshot() {
    let gateway = TestGateway::without_services().await;
    let answer = gateway.get("/openapi.json").await;
    let served: Value = answer.expect(200).clone();
    let path = snapshot_path();

    if std::env::var("UPDATE_OPENAPI_SNAPSHOT").is_ok_and(|v| v == "1") {
        let mut text = serde_json::to_string_pretty(&served).expect("a JSON document");
        text.push('\n');
        std::fs::write(&path, text)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }

    let snapshot = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read the SPA's snapshot {}: {e}", path.display()));
    let snapshot: Value = serde_json::from_str(&snapshot)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    let mut found = Vec::new();
    differences(&served, &snapshot, "", 20, &mut found);
    assert!(
        found.is_empty(),
        "the OpenAPI document the gateway serves differs from the SPA's snapshot {}:\n  {}\n\
         Refresh it and regenerate the typed client, then review and commit both:\n  \
         UPDATE_OPENAPI_SNAPSHOT=1 cargo xtask test -E 'test(served_openapi_document_matches)'\n  \
         cd frontend && npm run gen:api && npm run typecheck",
        path.display(),
        found.join("\n  ")
    );
}
