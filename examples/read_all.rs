//! Read one dataset whole and report the time: `cargo run --release --example read_all FILE PATH`.
use pymodaq_h5::hdf5::read::{File, Node};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (file, path) = (args.get(1).ok_or("FILE")?, args.get(2).ok_or("PATH")?);
    for _ in 0..2 {
        let t = std::time::Instant::now();
        let f = File::open(file)?;
        let Node::Dataset(d) = f.get(path)? else {
            return Err("not a dataset".into());
        };
        let raw = d.read_raw()?;
        println!(
            "read {} MiB in {:.3} s",
            raw.len() >> 20,
            t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
