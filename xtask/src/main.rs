//! `cargo xtask run`: the whole system on this machine, data kept in `.data/`.
//! `cargo xtask test`: every test, with the infrastructure they need.

mod signals;
mod system;
mod tests;
mod tools;

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let result = match args.next().as_deref() {
        Some("test") => tests::run(args.collect()),
        Some("run") => system::run(),
        _ => {
            eprintln!("usage: cargo xtask test [nextest arguments] | cargo xtask run");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("xtask: {error:#}");
            ExitCode::FAILURE
        }
    }
}
