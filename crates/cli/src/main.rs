//! `swarmlb`: run, record, verify, replay and compare simulations of decentralized load
//! balancing. `main` maps errors to documented exit codes; everything else is in modules.

mod bench_cmd;
mod butterfly;
mod exit;
mod experiments;
mod inspect;
mod progress;
mod record;
mod run;
mod scenario_args;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use exit::{CheckFailed, Interrupted};

#[derive(Parser)]
#[command(
    name = "swarmlb",
    version,
    about = "Deterministic discrete-event simulator of decentralized load balancing",
    long_about = "Deterministic discrete-event simulator of decentralized load balancing.\n\n\
        Servers and users negotiate with local knowledge only: servers delegate when full, pull \
        users when idle, hand their users off and terminate when nearly empty, and scale out when \
        overloaded. Every run can be recorded as a trace, verified, replayed, and diffed against a \
        butterfly branch in which one user was disconnected.",
    after_help = "Examples:\n  swarmlb run                          # the built-in default scenario\n  \
        swarmlb run flash-crowd --seed 7 --trace run.swlb\n  swarmlb verify run.swlb\n  \
        swarmlb butterfly default --at 10m --out bf/\n\n\
        Exit codes: 0 ok, 1 error (bad input, I/O), 2 usage, 3 check failed (damaged trace, replay mismatch), 130 interrupted."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Run(run::RunArgs),
    Scenarios(run::ScenariosArgs),
    Verify(inspect::VerifyArgs),
    Replay(inspect::ReplayArgs),
    Stats(inspect::StatsArgs),
    Log(inspect::LogArgs),
    Export(inspect::ExportArgs),
    Diff(butterfly::DiffArgs),
    Butterfly(butterfly::ButterflyArgs),
    Why(butterfly::WhyArgs),
    Bench(bench_cmd::BenchArgs),
    Sweep(experiments::sweep::SweepArgs),
    Stability(experiments::stability::StabilityArgs),
    Compare(experiments::compare::CompareArgs),
    Plot(experiments::plot::PlotArgs),
}

fn try_main(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Scenarios(args) => run::scenarios(args),
        Command::Verify(args) => inspect::verify(args),
        Command::Replay(args) => inspect::replay(args),
        Command::Stats(args) => inspect::stats(args),
        Command::Log(args) => inspect::log(args),
        Command::Export(args) => inspect::export(args),
        Command::Diff(args) => butterfly::diff(args),
        Command::Butterfly(args) => butterfly::butterfly(args),
        Command::Why(args) => butterfly::why(args),
        Command::Bench(args) => bench_cmd::bench(args),
        Command::Sweep(args) => experiments::sweep::sweep(args),
        Command::Stability(args) => experiments::stability::stability(args),
        Command::Compare(args) => experiments::compare::compare(args),
        Command::Plot(args) => experiments::plot::plot(args),
    }
}

/// Die quietly on a closed pipe (`swarmlb log run.swlb | head`), like other Unix tools,
/// instead of panicking in `println!`.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called once at start-up, before any thread exists; SIG_DFL is always valid.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    restore_sigpipe();
    let cli = Cli::parse();
    progress::install_handler();
    match try_main(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => exit::report(&e),
    }
}
