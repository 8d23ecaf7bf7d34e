//! Write a small file in the HDF5 1.10 profile (`cargo run --example v110_smoke out.h5`),
//! with extensible arrays large enough to use paged data blocks.
use pymodaq_h5::hdf5::write::*;
fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| "v110.h5".into());
    let opts = WriteOptions {
        profile: Profile::Hdf5V110,
        ..Default::default()
    };
    let mut w = Writer::create(&path, opts).unwrap();
    let d = w
        .create_dataset(
            "/paged",
            DatasetBuilder::new(Dtype::U8)
                .shape(&[0])
                .max_shape(&[None])
                .chunks(&[1]),
        )
        .unwrap();
    let v: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    w.append(&d, &v[..150_000]).unwrap();
    w.flush().unwrap();
    w.append(&d, &v[150_000..]).unwrap();
    let z = w
        .create_dataset(
            "/zpaged",
            DatasetBuilder::new(Dtype::U8)
                .shape(&[0, 2])
                .max_shape(&[None, Some(2)])
                .chunks(&[1, 1])
                .deflate(1),
        )
        .unwrap();
    let v2: Vec<u8> = (0..280_000u32).map(|i| (i % 7) as u8).collect();
    w.append(&z, &v2).unwrap();
    w.close().unwrap();
}
