//! One file per subcommand of the `hookwright` binary.
pub mod crd;
