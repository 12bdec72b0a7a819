//! One file per subcommand of the `hookwright` binary.
