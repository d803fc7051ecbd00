//! `cargo xtask run`: the whole system on this machine, data kept in `.data/`.
//! `cargo xtask test`: every test, with the infrastructure they need.
//! `cargo xtask bench`: the benchmarks, on the same infrastructure;
//! `cargo xtask bench --report`: issue 12's benchmark, written to docs/.

mod bench;
mod frontend;
mod run;
mod signals;
mod tests;
mod tools;

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let result = match args.next().as_deref() {
        Some("test") => tests::run(tests::Runner::Tests, args.collect()),
        Some("bench") => {
            let args: Vec<String> = args.collect();
            if bench::requested(&args) {
                bench::run(&args)
            } else {
                tests::run(tests::Runner::Benches, args)
            }
        }
        Some("run") => run::Flags::parse(args).and_then(run::run),
        _ => {
            eprintln!(
                "usage: cargo xtask run [--fresh] [--debug] | cargo xtask test [nextest arguments] | cargo xtask bench [cargo bench arguments] | cargo xtask bench --report [--quick]"
            );
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
