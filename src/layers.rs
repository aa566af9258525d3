//! The architecture, guarded: which top-level module may import which. Imports run one way,
//! surfaces -> conversation core -> engine -> eval -> flow, with the stores, the registry and
//! a few leaf utilities beside. The test below reads every `crate::...` path in the code of each
//! top-level module and fails on one against this table (see `docs/ARCHITECTURE.md`).

/// Each top-level module and the top-level modules its code may name (itself aside).
pub const ALLOWED: &[(&str, &[&str])] = &[
    // Leaves: no imports from the crate.
    ("ids", &[]),
    ("config", &[]),
    ("telemetry", &[]),
    ("bundled", &[]),
    ("net", &[]),
    // Storage of uploaded files (a directory or an S3-compatible bucket).
    ("uploads", &["config"]),
    // The bot as data.
    ("flow", &[]),
    // Evaluating what bot authors write.
    // (`telemetry` is a leaf beside every layer: the ones that record metrics name it.)
    ("eval", &["flow", "telemetry"]),
    // The walker and the blocks: no I/O but outbound HTTP through `net`.
    ("engine", &["eval", "flow", "ids", "net"]),
    // Storage knows bytes and records, not engines or surfaces.
    ("store", &["ids", "config", "telemetry"]),
    // Integration credentials: sealed in the store, handed to the engine decrypted.
    ("credentials", &["engine", "store"]),
    // Published bots: compiled flows over the flow store.
    ("registry", &["engine", "flow", "store"]),
    // Publishing the bots of --flows (or the bundled ones) at start-up, retried in the
    // background while the store is unreachable.
    ("startup", &["registry", "flow", "store", "bundled"]),
    // The conversation core.
    (
        "conversation",
        &[
            "registry",
            "engine",
            "flow",
            "ids",
            "store",
            "telemetry",
            "config",
        ],
    ),
    // Surfaces.
    (
        "api",
        &[
            "conversation",
            "credentials",
            "registry",
            "startup",
            "engine",
            "flow",
            "ids",
            "store",
            "telemetry",
            "config",
            "uploads",
        ],
    ),
    // The command line: `serve` (through `server`), `chat`, `validate`.
    (
        "cli",
        &[
            "server",
            "telemetry",
            "conversation",
            "registry",
            "engine",
            "eval",
            "flow",
            "ids",
            "net",
            "store",
            "config",
        ],
    ),
    // Wiring: builds everything from the configuration.
    (
        "server",
        &[
            "api",
            "bundled",
            "config",
            "conversation",
            "credentials",
            "engine",
            "eval",
            "net",
            "registry",
            "startup",
            "store",
            "telemetry",
            "uploads",
        ],
    ),
];

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::ALLOWED;

    fn sources(path: &Path, out: &mut Vec<PathBuf>) {
        if path.is_dir() {
            for e in std::fs::read_dir(path).expect("read src").flatten() {
                sources(&e.path(), out);
            }
        } else if path.is_file() && path.extension().is_some_and(|x| x == "rs") {
            out.push(path.to_path_buf());
        }
    }

    /// Every top-level module named by a `crate::name` path in `line` (comments excluded).
    fn named(line: &str) -> Vec<&str> {
        let code = line.split("//").next().unwrap_or_default();
        let mut found = Vec::new();
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let before = rest[..i].chars().last();
            rest = &rest[i + "crate::".len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | ':' | '$')) {
                continue; // `my_crate::`, `$crate::` (macros), `::crate::`...
            }
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            found.push(&rest[..end]);
        }
        found
    }

    /// The imports of `src/` against [`ALLOWED`], as `file:line: a -> b` strings.
    fn violations(src: &Path) -> Vec<String> {
        let mut bad = Vec::new();
        for (module, allowed) in ALLOWED {
            let mut files = Vec::new();
            sources(&src.join(module), &mut files);
            sources(&src.join(format!("{module}.rs")), &mut files);
            assert!(!files.is_empty(), "no sources for module {module}");
            for file in files {
                let text = std::fs::read_to_string(&file).expect("read source");
                for (n, line) in text.lines().enumerate() {
                    for target in named(line) {
                        if target != *module && !allowed.contains(&target) {
                            bad.push(format!(
                                "{}:{}: {module} -> {target}",
                                file.display(),
                                n + 1
                            ));
                        }
                    }
                }
            }
        }
        bad
    }

    #[test]
    fn imports_run_one_way() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let bad = violations(&src);
        assert!(
            bad.is_empty(),
            "imports against the layering of src/layers.rs (see docs/ARCHITECTURE.md):\n{}",
            bad.join("\n")
        );
    }

    #[test]
    fn every_top_level_module_has_a_rule() {
        let lib = include_str!("lib.rs");
        for line in lib.lines() {
            let Some(name) = line
                .strip_prefix("pub mod ")
                .or_else(|| line.strip_prefix("mod "))
            else {
                continue;
            };
            let name = name.trim_end_matches(';');
            assert!(
                name == "layers" || ALLOWED.iter().any(|(m, _)| *m == name),
                "module {name} has no rule in src/layers.rs"
            );
        }
    }

    #[test]
    fn paths_in_comments_do_not_count_and_code_paths_do() {
        assert_eq!(
            named("use crate::engine::Engine; // crate::api"),
            vec!["engine"]
        );
        assert_eq!(named("//! see [`crate::api`]"), Vec::<&str>::new());
        assert_eq!(
            named("let x = crate::store::Stores::memory(); crate::ids::new_id()"),
            vec!["store", "ids"]
        );
        assert_eq!(named("$crate::flow"), Vec::<&str>::new());
    }
}
