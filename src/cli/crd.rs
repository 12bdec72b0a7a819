//! `hookwright crd`: print the CustomResourceDefinitions as multi-document YAML.
use std::io::Write as _;
use std::process::ExitCode;

/// Writes `hookwright::crd::all_crds_yaml()` to stdout (what `make crds` splits into `crds/`).
pub fn run() -> ExitCode {
    let yaml = hookwright::crd::all_crds_yaml();
    let mut out = std::io::stdout().lock();
    match out.write_all(yaml.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hookwright crd: writing to stdout: {e}");
            ExitCode::FAILURE
        }
    }
}
