//! The `relaydoc` binary: parse arguments, run, exit. Everything else lives in the library.

fn main() -> std::process::ExitCode {
    relaydoc::cli::main()
}
