//! The instruments shipped with Pacta, embedded at compile time so the binary works
//! anywhere. Paths are as under the repository's `norms/` directory.

use crate::instruments::Instruments;
use std::sync::OnceLock;

macro_rules! embed {
    ($($name:literal),+ $(,)?) => {
        /// (path, text) of every built-in instrument file.
        pub const BUILTIN: &[(&str, &str)] = &[$(( concat!("norms/", $name), include_str!(concat!("../../../norms/", $name)) )),+];
    };
}

embed!(
    "un-gge-2015.md",
    "tallinn-2.md",
    "ilc-arsiwa-2001.md",
    "un-charter.md",
    "iccpr.md",
    "icescr.md",
    "osce-cbm-2016.md",
    "positions/gb-2018.md",
    "positions/fr-2019.md",
    "positions/nl-2019.md",
    "positions/de-2021.md",
);

/// The built-in sources as owned (path, text) pairs, ready for [`Instruments::load`]
/// (for example to add or amend a file for a what-if run).
pub fn builtin_sources() -> Vec<(String, String)> {
    BUILTIN.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect()
}

/// The built-in instruments, compiled once. They are checked by the test suite, so a
/// failure here is a build defect, reported with every file:line:column.
pub fn builtin() -> &'static Instruments {
    static CELL: OnceLock<Instruments> = OnceLock::new();
    CELL.get_or_init(|| match Instruments::load(&builtin_sources()) {
        Ok(i) => i,
        Err(e) => panic!("the built-in instruments do not load:\n{e}"),
    })
}
