//! `compose.yaml` is checked here, since no Docker engine runs it in the test
//! command: against the Compose Specification's schema, against what each
//! binary reads, for a start-up ordered by health, for paths that exist and
//! for what it publishes.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
};

use orderflow_deploy_checks::{Published, compose, context_sources, repo_root};
use serde_json::{Map, Value};

/// The services this repository builds from its root Dockerfile, by its
/// `SERVICE` build argument, and the variables each binary reads.
fn binaries() -> BTreeMap<&'static str, Vec<&'static str>> {
    BTreeMap::from([
        ("orders", orders::config::env_vars()),
        ("payments", payments::config::env_vars()),
        ("gateway", gateway::config::env_vars()),
    ])
}

/// What is published on every interface: the SPA, the REST API, Jaeger's UI.
const PUBLIC: &[(&str, &str)] = &[
    ("frontend", "3000"),
    ("gateway", "8080"),
    ("jaeger", "16686"),
];

fn services(compose: &Value) -> &Map<String, Value> {
    compose["services"]
        .as_object()
        .expect("compose.yaml has no `services` map")
}

fn schema_path() -> PathBuf {
    match std::env::var_os("ORDERFLOW_COMPOSE_SCHEMA") {
        Some(path) => PathBuf::from(path),
        None => orderflow_devstack::install::ensure_compose_schema()
            .expect("fetching the Compose Specification's schema"),
    }
}

#[test]
fn compose_yaml_is_valid_under_the_compose_specification() {
    let compose = compose().unwrap();
    let path = schema_path();
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
        .unwrap_or_else(|error| panic!("{} is not JSON: {error}", path.display()));
    let validator = jsonschema::validator_for(&schema).expect("the Compose schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&compose)
        .map(|error| format!("at {}: {error}", error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "compose.yaml breaks the Compose Specification ({}):\n{}",
        path.display(),
        errors.join("\n")
    );
}

#[test]
fn every_service_sets_only_variables_its_binary_reads() {
    let compose = compose().unwrap();
    let binaries = binaries();
    let mut wrong = Vec::new();
    let mut seen = BTreeSet::new();
    for (name, service) in services(&compose) {
        let Some(binary) = service["build"]["args"]["SERVICE"].as_str() else {
            continue;
        };
        let Some(reads) = binaries.get(binary) else {
            wrong.push(format!(
                "{name}: builds SERVICE={binary}, which is no binary here"
            ));
            continue;
        };
        seen.insert(binary);
        let set: Vec<String> = match &service["environment"] {
            Value::Object(map) => map.keys().cloned().collect(),
            Value::Array(list) => list
                .iter()
                .filter_map(Value::as_str)
                .map(|entry| entry.split('=').next().unwrap_or_default().to_owned())
                .collect(),
            _ => Vec::new(),
        };
        for variable in set {
            if !reads.contains(&variable.as_str()) {
                wrong.push(format!(
                    "{name}: sets {variable}, which {binary} does not read (it reads {reads:?})"
                ));
            }
        }
    }
    for binary in binaries.keys() {
        if !seen.contains(binary) {
            wrong.push(format!("no service builds {binary} (build.args.SERVICE)"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_service_waits_for_its_dependencies_to_be_healthy() {
    let compose = compose().unwrap();
    let services = services(&compose);
    let mut wrong = Vec::new();
    for (name, service) in services {
        let healthcheck = &service["healthcheck"];
        if healthcheck.is_null() || healthcheck["disable"] == Value::Bool(true) {
            wrong.push(format!("{name} has no healthcheck"));
        }
        match &service["depends_on"] {
            Value::Null => {}
            Value::Object(dependencies) => {
                for (target, how) in dependencies {
                    if how["condition"] != "service_healthy" {
                        wrong.push(format!(
                            "{name} depends on {target} with condition {}, not service_healthy",
                            how["condition"]
                        ));
                    }
                    match services.get(target) {
                        None => wrong.push(format!("{name} depends on {target}, no such service")),
                        Some(other) if other["healthcheck"].is_null() => wrong.push(format!(
                            "{name} waits for {target} to be healthy, but {target} has no healthcheck"
                        )),
                        Some(_) => {}
                    }
                }
            }
            list => wrong.push(format!(
                "{name}: depends_on {list} is a list, so nothing waits for health \
                 (use the map form with condition: service_healthy)"
            )),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_build_context_dockerfile_and_copied_path_exists() {
    let compose = compose().unwrap();
    let root = repo_root();
    let mut wrong = Vec::new();
    for (name, service) in services(&compose) {
        let build = &service["build"];
        if let Some(context) = build["context"].as_str().or(build.as_str()) {
            let context_dir = root.join(context);
            if !context_dir.is_dir() {
                wrong.push(format!("{name}: build context {context} is not a folder"));
                continue;
            }
            let dockerfile = build["dockerfile"].as_str().unwrap_or("Dockerfile");
            let path = context_dir.join(dockerfile);
            let Ok(text) = std::fs::read_to_string(&path) else {
                wrong.push(format!("{name}: {context}/{dockerfile} does not exist"));
                continue;
            };
            for source in context_sources(&text) {
                if !context_dir.join(&source).exists() {
                    wrong.push(format!(
                        "{name}: {context}/{dockerfile} copies {source}, which is not in {context}"
                    ));
                }
            }
        }
        for volume in service["volumes"].as_array().into_iter().flatten() {
            let source = volume.as_str().and_then(|short| short.split(':').next());
            if let Some(source) = source.filter(|source| source.starts_with('.'))
                && !root.join(source).exists()
            {
                wrong.push(format!("{name}: mounts {source}, which does not exist"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn only_the_spa_the_gateway_and_jaeger_ui_are_published_beyond_this_machine() {
    let compose = compose().unwrap();
    let mut public = Vec::new();
    let mut wrong = Vec::new();
    for (name, service) in services(&compose) {
        for port in service["ports"].as_array().into_iter().flatten() {
            let published = match Published::parse(port) {
                Ok(published) => published,
                Err(error) => {
                    wrong.push(format!("{name}: {error}"));
                    continue;
                }
            };
            if published.is_loopback() {
                continue;
            }
            let host_port = published.host_port.clone().unwrap_or_default();
            if PUBLIC.contains(&(name.as_str(), host_port.as_str())) {
                public.push((name.clone(), host_port));
            } else {
                wrong.push(format!(
                    "{name}: publishes {port} on every interface; only {PUBLIC:?} may be \
                     (bind it to 127.0.0.1)"
                ));
            }
        }
    }
    for (name, port) in PUBLIC {
        if !public.iter().any(|(n, p)| n == name && p == port) {
            wrong.push(format!("{name} does not publish {port}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_grpc_ports_are_published_on_loopback_for_grpcurl() {
    let compose = compose().unwrap();
    let mut wrong = Vec::new();
    for (name, grpc_port) in [("orders", "50051"), ("payments", "50052")] {
        let ports: Vec<Published> = services(&compose)[name]["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|port| Published::parse(port).ok())
            .collect();
        let on_loopback = ports
            .iter()
            .any(|port| port.is_loopback() && port.host_port.as_deref() == Some(grpc_port));
        if !on_loopback || ports.iter().any(|port| !port.is_loopback()) {
            wrong.push(format!(
                "{name}: gRPC must be published as 127.0.0.1:{grpc_port} and nowhere else, got {ports:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
