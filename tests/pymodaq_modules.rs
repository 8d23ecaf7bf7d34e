//! Module savers (DAQ_Viewer, DAQ_Move, DAQ_Scan, DAQ_Logger groups) lay files out as
//! PyMoDAQ 5.3 does (`shared/reference/pymodaq-layout.md` section 9), and PyMoDAQ loads them.

mod common;

use pymodaq_h5::hdf5::read::File;
use pymodaq_h5::pymodaq::attrs::PyValue;
use pymodaq_h5::pymodaq::model::{
    Axis, DataDistribution, DataSource, DataToExport, DataWithAxes, DwaArgs, NdArray,
};
use pymodaq_h5::pymodaq::save::module_saving::{
    ActuatorSaver, DetectorSaver, LoggerSaver, Module, ScanSaver,
};
use pymodaq_h5::pymodaq::save::{H5Saver, InitOptions, SaveType};

fn dwa(name: &str, v: &[f64], source: DataSource, extra: Vec<(String, PyValue)>) -> DataWithAxes {
    let mut d = DataWithAxes::new(DwaArgs {
        name: name.into(),
        source,
        distribution: DataDistribution::Uniform,
        data: vec![NdArray::from_f64(vec![v.len()], v).unwrap()],
        labels: Vec::new(),
        units: "V".into(),
        origin: PyValue::Str("det".into()),
        nav_indexes: Vec::new(),
        axes: Vec::new(),
        errors: None,
        extra_attributes: extra,
    })
    .unwrap();
    d.timestamp = PyValue::Float(1.7e9);
    d
}

fn dte(items: Vec<DataWithAxes>) -> DataToExport {
    let mut d = DataToExport::new("dte");
    d.data = items;
    d
}

#[test]
fn module_savers_lay_files_out_like_pymodaq() {
    let dir = common::temp_dir("modules");
    let path = dir.join("modules.h5");
    let mut h5 = H5Saver::init_file(
        &path,
        InitOptions {
            save_type: SaveType::Scan,
            ..Default::default()
        },
    )
    .unwrap();
    let settings =
        b"<All_settings type=\"group\"><exposure type=\"float\">0.1</exposure></All_settings>";

    // DAQ_Viewer snapshot: calculated and do_save=False data are not saved.
    let mut det = DetectorSaver::new(Module::new("Viewer", settings));
    // No `where` before `get_set_node`: there is no module group to default to.
    let early = det.add_data(&mut h5, None, &dte(vec![]), &[]);
    assert!(
        matches!(early, Err(pymodaq_h5::Error::Usage(_))),
        "{early:?}"
    );
    let g = det.get_set_node(&mut h5, None).unwrap();
    assert_eq!(g, "/RawData/Detector000");
    let snap = dte(vec![
        dwa("raw", &[1.0, 2.0], DataSource::Raw, vec![]),
        dwa("fit", &[1.5, 2.5], DataSource::Calculated, vec![]),
        dwa(
            "hidden",
            &[0.0],
            DataSource::Raw,
            vec![("do_save".into(), PyValue::Bool(false))],
        ),
    ]);
    det.add_data(&mut h5, Some(&g), &snap, &[]).unwrap();
    det.add_bkg(
        &mut h5,
        &g,
        &dte(vec![dwa("raw", &[0.5, 0.5], DataSource::Raw, vec![])]),
    )
    .unwrap();
    // The same module title finds the same group again.
    assert_eq!(det.get_set_node(&mut h5, None).unwrap(), g);

    // DAQ_Viewer continuous saving (timed).
    let mut timed = DetectorSaver::timed(Module::new("Viewer timed", settings));
    let gt = timed.get_set_node(&mut h5, None).unwrap();
    // `add_data(where=None)` saves into the group `get_set_node` gave.
    assert_eq!(timed.module_group(), Some(gt.as_str()));
    for i in 0..3 {
        timed
            .add_data(
                &mut h5,
                None, // the module group
                &dte(vec![dwa("v", &[i as f64], DataSource::Raw, vec![])]),
                &[],
            )
            .unwrap();
    }

    // DAQ_Move.
    let mut act = ActuatorSaver::new(Module::new("Stage", b"<All_settings />"));
    let ga = act.get_set_node(&mut h5, None).unwrap();
    assert_eq!(ga, "/RawData/Actuator000");
    act.add_data(
        &mut h5,
        Some(&ga),
        &dte(vec![dwa("Stage", &[10.0], DataSource::Raw, vec![])]),
        &[],
    )
    .unwrap();

    // DAQ_Scan: a 2x2 scan with one detector, stopped after 3 points.
    let mut scan = ScanSaver::new(Module::new("DAQScan", settings));
    let gs = scan.get_set_node(&mut h5, None, false).unwrap();
    assert_eq!(gs, "/RawData/Scan000");
    let mut sdet = DetectorSaver::extended(Module::new("Viewer in scan", settings), &[2, 2]);
    let gsd = sdet.get_set_node(&mut h5, Some(&gs)).unwrap();
    assert_eq!(gsd, "/RawData/Scan000/Detector000");
    sdet.add_nav_axes(
        &mut h5,
        &gs,
        &[
            Axis::new("x", "mm", vec![0.0, 1.0], 0, 0).unwrap(),
            Axis::new("y", "mm", vec![5.0, 7.0], 1, 0).unwrap(),
        ],
    )
    .unwrap();
    scan.add_timestamps(&mut h5, &[2, 2]).unwrap();
    for (k, idx) in [[0u64, 0], [0, 1], [1, 0]].iter().enumerate() {
        sdet.add_scan_point(
            &mut h5,
            Some(&gsd),
            &dte(vec![dwa("pt", &[k as f64], DataSource::Raw, vec![])]),
            idx,
            DataDistribution::Uniform,
        )
        .unwrap();
        scan.set_timestamp(&mut h5, idx, 0.25 * k as f64).unwrap();
    }

    // DAQ_Logger.
    let mut logger = LoggerSaver::new(Module::new("Logger", settings));
    let gl = logger.get_set_node(&mut h5, None, false).unwrap();
    assert_eq!(gl, "/RawData/Datalogger000");
    let mut ldet = DetectorSaver::timed(Module::new("Logged viewer", settings));
    let gld = ldet.get_set_node(&mut h5, Some(&gl)).unwrap();
    assert_eq!(gld, "/RawData/Datalogger000/Detector000");
    ldet.add_data(
        &mut h5,
        Some(&gld),
        &dte(vec![dwa("T", &[300.0], DataSource::Raw, vec![])]),
        &[],
    )
    .unwrap();
    h5.close_file().unwrap();

    let f = File::open(&path).unwrap();
    let (doc, had_errors) =
        pymodaq_h5::pymodaq::load_json::load_json(&f, "modules.h5", true).unwrap();
    assert!(!had_errors, "{doc:#}");
    let tree: std::collections::BTreeMap<String, serde_json::Value> = doc["tree"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["path"].as_str().unwrap().to_string(), e.clone()))
        .collect();
    let attrs = |p: &str| tree.get(p).unwrap_or_else(|| panic!("no {p}"))["attrs"].clone();
    assert_eq!(attrs("/RawData/Detector000")["type"], "detector");
    assert!(attrs("/RawData/Detector000")["settings"]["$bytes_b64"].is_string());
    assert!(tree.contains_key("/RawData/Detector000/Data1D/CH00/Data00"));
    assert!(tree.contains_key("/RawData/Detector000/Data1D/CH00/Bkg00"));
    assert!(
        !tree.contains_key("/RawData/Detector000/Data1D/CH01"),
        "calculated data filtered"
    );
    assert!(
        !tree.contains_key("/RawData/Detector000/Data0D"),
        "do_save=False filtered"
    );
    assert!(tree.contains_key("/RawData/Detector001/NavAxes/Axis00"));
    assert_eq!(
        attrs("/RawData/Detector001/NavAxes/Axis00")["label"],
        "time"
    );
    // The timed rows saved with `where=None` are in the module group.
    assert_eq!(
        tree["/RawData/Detector001/Data0D/CH00/EnlData00"]["array"]["values"],
        serde_json::json!([0.0, 1.0, 2.0])
    );
    assert_eq!(attrs("/RawData/Actuator000")["type"], "actuator");
    assert!(tree.contains_key("/RawData/Actuator000/Data0D/CH00/Data00"));
    assert_eq!(attrs("/RawData/Scan000")["type"], "scan");
    assert_eq!(attrs("/RawData/Scan000")["description"], "");
    assert_eq!(attrs("/RawData/Scan000/Timestamps")["type"], "time");
    let ts = &tree["/RawData/Scan000/Timestamps/Data0D/CH00/Data00"];
    assert_eq!(ts["array"]["dtype"], "float32");
    assert_eq!(
        ts["array"]["values"],
        serde_json::json!([0.0, 0.25, 0.5, "nan"])
    );
    assert_eq!(ts["attrs"]["origin"], "Timestamps");
    let pts = &tree["/RawData/Scan000/Detector000/Data0D/CH00/Data00"];
    assert_eq!(
        pts["array"]["values"],
        serde_json::json!([0.0, 1.0, 2.0, "nan"])
    );
    assert_eq!(attrs("/RawData/Datalogger000")["type"], "datalogger");
    assert!(tree.contains_key("/RawData/Datalogger000/Detector000/Data0D/CH00/EnlData00"));

    // PyMoDAQ loads it all, as we do.
    if let Some(py) = common::python() {
        let o = common::run_py(
            &py,
            "fixtures/gen/pymodaq_load.py",
            [path.as_os_str(), "--full".as_ref()],
        );
        let mut real: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let mut mine = doc.clone();
        real["file"] = serde_json::Value::Null;
        mine["file"] = serde_json::Value::Null;
        let mut d = Vec::new();
        common::diff("", &mine, &real, &mut d);
        assert!(d.is_empty(), "{}", d.join("\n"));
    }
}

#[test]
fn backend_trait_walks_a_file_being_written_as_the_file_read_back() {
    use pymodaq_h5::pymodaq::backend::{Backend, H5Backend};
    let dir = common::temp_dir("backend-trait");
    let path = dir.join("walk.h5");
    let mut h5 = H5Saver::init_file(&path, InitOptions::default()).unwrap();
    let mut det = DetectorSaver::new(Module::new("Viewer", b"<All_settings />"));
    let g = det.get_set_node(&mut h5, None).unwrap();
    det.add_data(
        &mut h5,
        Some(&g),
        &dte(vec![
            dwa("a", &[1.0, 2.0], DataSource::Raw, vec![]),
            dwa("b", &[3.0], DataSource::Raw, vec![]),
        ]),
        &[],
    )
    .unwrap();
    h5.add_log("hello").unwrap();
    h5.flush().unwrap();
    let writing: Vec<String> = {
        let b = h5.backend_ref();
        b.walk_paths("/")
            .iter()
            .map(|p| b.node_line(p).unwrap())
            .collect()
    };
    h5.close_file().unwrap();
    let f = File::open(&path).unwrap();
    let r = H5Backend::new(&f);
    let read: Vec<String> = r
        .walk_paths("/")
        .iter()
        .map(|p| r.node_line(p).unwrap())
        .collect();
    assert_eq!(writing, read);
    assert!(
        read.contains(&"/RawData/Detector000/Data1D/CH00/Data00 (CARRAY) 'a'".to_string()),
        "{read:#?}"
    );
    assert!(read.contains(&"/RawData/Logger (StringARRAY) ''".to_string()));
    // The trait's walk is the backend's own walk_nodes.
    let own: Vec<String> = r
        .walk_nodes(&r.get_node("/").unwrap())
        .unwrap()
        .iter()
        .map(|n| r.node_str(n).unwrap())
        .collect();
    assert_eq!(own, read);
}
