//! `cargo bench -p swarmlb-cli`: the same workloads as `swarmlb bench --quick`, printed as
//! the same table (ratios against baselines measured in this process).

fn main() {
    // `cargo test --benches` runs this with `--bench`-less args; keep it quick either way.
    let report = swarmlb_cli::bench::run(swarmlb_cli::bench::Plan::Quick, &mut |what| {
        eprintln!("measuring {what}")
    });
    println!("{}", report.table());
}
