//! Generates the Rust code for `proto/orderflow/**` with protox (a pure-Rust
//! protobuf compiler), so a build needs no system `protoc`.

use std::{env, fs, path::PathBuf};

use prost::Message;

const FILES: &[&str] = &[
    "orderflow/orders/v1/orders.proto",
    "orderflow/payments/v1/payments.proto",
    "orderflow/events/v1/events.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let descriptors = protox::compile(FILES, ["."])?;
    // `compile_fds` ignores `file_descriptor_set_path`: write the set ourselves
    // so the services can serve it through gRPC reflection.
    fs::write(
        out_dir.join("orderflow_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;
    tonic_prost_build::configure().compile_fds(descriptors)?;
    println!("cargo:rerun-if-changed=orderflow");
    Ok(())
}
