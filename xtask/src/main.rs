//! Project tools, run with `cargo run -p xtask --release -- <tool> …`.
//!
//! `tty`: what a full-screen terminal program costs. Runs a command in a pseudo-terminal of a
//! fixed size, counts every byte it writes (in a warm-up and in a measured window), samples
//! the CPU time and RSS of its process tree from /proc, quits it with a key (then SIGTERM,
//! then SIGKILL) and checks that it put the terminal back (alternate screen left, cursor
//! shown, no private mode left set). Prints one JSON line.
//!
//! ```text
//! cargo run -p xtask --release -- tty --cols 120 --rows 40 --seconds 20 --warmup 3 --quit-key q -- qtop --demo
//! ```

mod meter;
mod procfs;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some("tty") = args.first().map(String::as_str) {
        match meter::Options::parse(&args[1..]).and_then(|o| meter::run(&o)) {
            Ok(line) => {
                println!("{line}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("xtask tty: {e}");
                ExitCode::from(2)
            }
        }
    } else {
        eprintln!(
            "usage: cargo run -p xtask --release -- tty [--cols N] [--rows N] [--seconds S] [--warmup S] [--quit-key K] [--tag T] [--idle-ms MS] -- <command…>"
        );
        ExitCode::from(2)
    }
}
