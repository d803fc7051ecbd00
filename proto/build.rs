//! Generates the Rust code for `proto/orderflow/**` with protox (a pure-Rust
//! protobuf compiler), so a build needs no system `protoc`.

use std::{env, fs, path::PathBuf};

use prost::Message;

const FILES: &[&str] = &[
    "orderflow/orders/v1/orders.proto",
    "orderflow/payments/v1/payments.proto",
    "orderflow/events/v1/events.proto",
];

/// The descriptor sets each server serves through reflection: its own API
/// and what it imports, nothing of the other service.
const SERVED: &[(&str, &str)] = &[
    ("orders_descriptor", "orderflow/orders/v1/orders.proto"),
    (
        "payments_descriptor",
        "orderflow/payments/v1/payments.proto",
    ),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    // `compile_fds` ignores `file_descriptor_set_path`: write the sets
    // ourselves so the services can serve them through gRPC reflection.
    for (name, file) in SERVED {
        let served = protox::compile([file], ["."])?;
        fs::write(out_dir.join(format!("{name}.bin")), served.encode_to_vec())?;
    }
    let descriptors = protox::compile(FILES, ["."])?;
    tonic_prost_build::configure().compile_fds(descriptors)?;
    println!("cargo:rerun-if-changed=orderflow");
    Ok(())
}
