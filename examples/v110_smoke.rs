use pymodaq_h5::hdf5::write::*;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let mut w = Writer::create(&path, WriteOptions { profile: Profile::Hdf5V110, ..Default::default() }).unwrap();
    w.create_group_titled("/RawData", "raw").unwrap();
    let ea = w.create_dataset("/RawData/EArray", DatasetBuilder::new(Dtype::F64).shape(&[0, 4]).max_shape(&[None, Some(4)]).chunks(&[8, 4]).shuffle().deflate(5).pytables_class(PyTablesClass::EArray)).unwrap();
    let vals: Vec<f64> = (0..4000).map(f64::from).collect();
    for rows in vals.chunks(12) { w.append(&ea, rows).unwrap(); w.flush().unwrap(); }
    let u = w.create_dataset("/RawData/U", DatasetBuilder::new(Dtype::I32).shape(&[0]).max_shape(&[None]).chunks(&[2])).unwrap();
    let v: Vec<i32> = (0..5000).collect();
    w.append(&u, &v).unwrap();
    let ca = w.create_dataset("/RawData/CArray", DatasetBuilder::new(Dtype::I32).shape(&[10, 10]).chunks(&[4, 4]).fletcher32().pytables_class(PyTablesClass::CArray)).unwrap();
    let block: Vec<i32> = (0..30).collect();
    w.write_slice(&ca, &[2..7, 3..9], &block).unwrap();
    let big = w.create_dataset("/Big", DatasetBuilder::new(Dtype::U8).shape(&[3000]).chunks(&[1])).unwrap();
    w.write_slice(&big, &[5..2005], &vec![7u8; 2000]).unwrap();
    w.set_attr("/RawData", "s", AttrValue::Str("héllo".into())).unwrap();
    for i in 0..40 { w.set_attr("/RawData", &format!("pad{i}"), AttrValue::Str("x".repeat(50))).unwrap(); }
    w.create_group("/Many").unwrap();
    for i in (0..300).rev() { w.create_group(&format!("/Many/g{i:03}")).unwrap(); }
    w.create_group("/Many/héé").unwrap();
    w.close().unwrap();
}
