fn main() {
    let name = std::env::args().nth(1).unwrap_or("default".into());
    let sc = swarmlb_model::Scenario::builtin(&name).unwrap();
    let t = std::time::Instant::now();
    let mut r = swarmlb_model::run::Runner::new(swarmlb_model::RunConfig { scenario: sc, seed: 1 });
    let mut kinds = std::collections::BTreeMap::new();
    r.run_to_end(&mut |_k: &swarmlb_engine::EventKey, rec: &(swarmlb_model::Kind, u32), _w: &swarmlb_model::World| { *kinds.entry(rec.0).or_insert(0u64) += 1; std::ops::ControlFlow::Continue(()) }, |_s| std::ops::ControlFlow::Continue(()));
    println!("{}", r.summary());
    println!("{:?}", kinds);
    eprintln!("wall {:?}", t.elapsed());
}
