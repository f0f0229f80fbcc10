//! Lint rules that need the build: the base image's environment and
//! platform, the ignore file. The compiler calls each at the step or stage
//! it is about and keeps what they find in `Compiled::warnings`; `build`
//! filters them with the check configuration, as it does the spec's rules,
//! and sends them with the others (or lists them for `--call=check`).
//!
//! One file per rule, as in `spec::lint`; each is a function of what the
//! compiler knows at that point, returning its finding. They decide no
//! error, and `stagecraft compile` (base images treated as empty) does not
//! report them.

pub(super) mod copy_ignored_file;
pub(super) mod invalid_base_image_platform;
pub(super) mod undefined_var;
