//! Running an analysis over vault blobs, so that anyone can run it again.
//!
//! A command is kept as argv: a list of arguments, never a shell string. Inputs and outputs
//! appear in it as placeholders, which [`execute`] replaces with paths in a fresh scratch
//! directory:
//!
//! - `{in:N}`: the N-th input (from 0), copied out of the vault and verified on the way;
//! - `{out:NAME}`: a file the tool must write; afterwards its bytes are hashed (and, when
//!   asked, stored in the vault as a new blob: derived, never replacing an input).
//!
//! A placeholder may sit inside a longer argument (`--report={out:report.txt}`). The tool
//! runs with the scratch directory as its working directory and a minimal environment
//! (`PATH`, `HOME` set to the scratch directory, `LC_ALL=C`, `TZ=UTC`) so that the
//! environment of whoever re-runs it changes as little as possible.
//!
//! ```
//! use pacta_vault::run::{parse_argv, Piece};
//! let argv = vec!["tool".to_string(), "--out={out:report.txt}".to_string(), "{in:0}".to_string()];
//! let parsed = parse_argv(&argv, 1).unwrap();
//! assert_eq!(parsed.outputs, vec!["report.txt".to_string()]);
//! assert_eq!(parsed.args[2], vec![Piece::Input(0)]);
//! ```

use crate::{BlobHash, Put, Vault, VaultError};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("argument {index} ({arg:?}): {rule}")]
    Placeholder {
        index: usize,
        arg: String,
        rule: &'static str,
    },
    #[error("the command is empty")]
    EmptyCommand,
    #[error("{0}")]
    Vault(#[from] VaultError),
    #[error("cannot start {program:?}: {source}")]
    Spawn { program: String, source: io::Error },
    #[error("{program:?} exited with {status}; its last error output: {stderr}")]
    Failed {
        program: String,
        status: String,
        stderr: String,
    },
    #[error("the tool did not write its output {{out:{0}}}")]
    MissingOutput(String),
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
}

/// One piece of an argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Input(usize),
    Output(String),
}

/// An argv with its placeholders found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedArgv {
    pub args: Vec<Vec<Piece>>,
    /// Output names in order of first appearance, each once.
    pub outputs: Vec<String>,
}

/// Whether `name` may name an output file: letters, digits, `.`, `_`, `-`; not starting
/// with `.`; at most 100 characters. No separators, so an output cannot escape `out/`.
pub fn is_valid_output_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Finds the placeholders in `argv`, checking each `{in:N}` against `inputs` and each
/// output name against [`is_valid_output_name`]. A `{` that does not open `{in:` or `{out:`
/// is ordinary text.
pub fn parse_argv(argv: &[String], inputs: usize) -> Result<ParsedArgv, RunError> {
    if argv.is_empty() || argv[0].is_empty() {
        return Err(RunError::EmptyCommand);
    }
    let mut args = Vec::with_capacity(argv.len());
    let mut outputs: Vec<String> = Vec::new();
    for (index, arg) in argv.iter().enumerate() {
        let bad = |rule| RunError::Placeholder {
            index,
            arg: arg.chars().take(80).collect(),
            rule,
        };
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut rest = arg.as_str();
        while !rest.is_empty() {
            let (kind, after) = if let Some(a) = rest.strip_prefix("{in:") {
                ("in", a)
            } else if let Some(a) = rest.strip_prefix("{out:") {
                ("out", a)
            } else {
                let mut chars = rest.chars();
                if let Some(c) = chars.next() {
                    text.push(c);
                }
                rest = chars.as_str();
                continue;
            };
            let close = after
                .find('}')
                .ok_or_else(|| bad("a placeholder is not closed with '}'"))?;
            let inner = &after[..close];
            rest = &after[close + 1..];
            if !text.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut text)));
            }
            if kind == "in" {
                let n: usize = inner
                    .parse()
                    .map_err(|_| bad("{in:N} needs N, the input's position from 0"))?;
                if n >= inputs {
                    return Err(bad("{in:N} names an input the run does not have"));
                }
                pieces.push(Piece::Input(n));
            } else {
                if !is_valid_output_name(inner) {
                    return Err(bad(
                        "{out:NAME} needs a NAME of letters, digits, '.', '_' or '-' (not starting with '.')",
                    ));
                }
                if !outputs.iter().any(|o| o == inner) {
                    outputs.push(inner.to_string());
                }
                pieces.push(Piece::Output(inner.to_string()));
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        args.push(pieces);
    }
    if args[0].iter().any(|p| !matches!(p, Piece::Text(_))) {
        return Err(RunError::Placeholder {
            index: 0,
            arg: argv[0].clone(),
            rule: "the program itself cannot be a placeholder",
        });
    }
    Ok(ParsedArgv { args, outputs })
}

/// An input to materialise: the blob and a file name for the tool to see.
#[derive(Clone, Debug)]
pub struct Input {
    pub hash: BlobHash,
    pub name: String,
}

/// One output as the tool wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    pub name: String,
    pub hash: BlobHash,
    pub size: u64,
    /// Set when the output was stored in the vault.
    pub stored: Option<Put>,
}

/// What one execution produced.
#[derive(Clone, Debug)]
pub struct Execution {
    pub outputs: Vec<Output>,
}

/// Runs `argv` over `inputs` in a fresh scratch directory under `scratch_parent` (removed
/// afterwards). With `store_outputs` the outputs are put in the vault as new blobs;
/// without, they are only hashed (what a re-run needs).
pub fn execute(
    vault: &Vault,
    argv: &[String],
    inputs: &[Input],
    scratch_parent: &Path,
    store_outputs: bool,
) -> Result<Execution, RunError> {
    let parsed = parse_argv(argv, inputs.len())?;
    let n = crate::TEMP_COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let scratch = scratch_parent.join(format!("pacta-run-{}-{n}-{nanos}", std::process::id()));
    let result = execute_in(vault, &parsed, inputs, &scratch, store_outputs);
    let _ = fs::remove_dir_all(&scratch);
    result
}

fn safe_file_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let s = s.trim_start_matches('.').to_string();
    if s.is_empty() { "input".to_string() } else { s }
}

fn execute_in(
    vault: &Vault,
    parsed: &ParsedArgv,
    inputs: &[Input],
    scratch: &Path,
    store_outputs: bool,
) -> Result<Execution, RunError> {
    let io_err = |action: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| RunError::Io {
            action,
            path,
            source,
        }
    };
    let in_dir = scratch.join("in");
    let out_dir = scratch.join("out");
    for d in [&in_dir, &out_dir] {
        fs::create_dir_all(d).map_err(io_err("cannot create", d))?;
    }
    let mut input_paths = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.iter().enumerate() {
        let path = in_dir.join(format!("{i}-{}", safe_file_name(&input.name)));
        vault.export(&input.hash, &path)?;
        input_paths.push(path);
    }
    let render = |pieces: &[Piece]| -> std::ffi::OsString {
        let mut s = std::ffi::OsString::new();
        for p in pieces {
            match p {
                Piece::Text(t) => s.push(t),
                Piece::Input(n) => s.push(input_paths[*n].as_os_str()),
                Piece::Output(name) => s.push(out_dir.join(name).as_os_str()),
            }
        }
        s
    };
    let program = render(&parsed.args[0]);
    let mut cmd = Command::new(&program);
    cmd.args(parsed.args[1..].iter().map(|a| render(a)))
        .current_dir(scratch)
        .env_clear()
        .env(
            "PATH",
            std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
        )
        .env("HOME", scratch)
        .env("LC_ALL", "C")
        .env("TZ", "UTC")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let program_name = program.to_string_lossy().into_owned();
    let output = cmd.output().map_err(|source| RunError::Spawn {
        program: program_name.clone(),
        source,
    })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: String = stderr
            .trim()
            .chars()
            .rev()
            .take(300)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return Err(RunError::Failed {
            program: program_name,
            status: output.status.to_string(),
            stderr: tail,
        });
    }
    let mut outputs = Vec::with_capacity(parsed.outputs.len());
    for name in &parsed.outputs {
        let path = out_dir.join(name);
        if !path.is_file() {
            return Err(RunError::MissingOutput(name.clone()));
        }
        let (hash, size, stored) = if store_outputs {
            let put = vault.put_file(&path)?;
            (put.hash, put.size, Some(put))
        } else {
            let (hash, size) = hash_file(&path).map_err(io_err("cannot read", &path))?;
            (hash, size, None)
        };
        outputs.push(Output {
            name: name.clone(),
            hash,
            size,
            stored,
        });
    }
    Ok(Execution { outputs })
}

fn hash_file(path: &Path) -> io::Result<(BlobHash, u64)> {
    let mut file = fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((BlobHash(hasher.finalize().into()), size))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn placeholders_are_found_inside_arguments_and_checked() {
        let p = parse_argv(
            &argv(&[
                "tool",
                "-o{out:a.txt}",
                "{in:1}",
                "{in:0}:{out:b}",
                "{not a placeholder}",
                "{out:a.txt}",
            ]),
            2,
        )
        .unwrap();
        assert_eq!(p.outputs, argv(&["a.txt", "b"]));
        assert_eq!(
            p.args[1],
            vec![Piece::Text("-o".into()), Piece::Output("a.txt".into())]
        );
        assert_eq!(
            p.args[3],
            vec![
                Piece::Input(0),
                Piece::Text(":".into()),
                Piece::Output("b".into())
            ]
        );
        assert_eq!(p.args[4], vec![Piece::Text("{not a placeholder}".into())]);

        let err = |a: &[&str], n| parse_argv(&argv(a), n).unwrap_err().to_string();
        assert!(err(&["tool", "{in:2}"], 2).contains("does not have"));
        assert!(err(&["tool", "{in:x}"], 2).contains("N, the input's position"));
        assert!(err(&["tool", "{out:../../etc/passwd}"], 0).contains("NAME of letters"));
        assert!(err(&["tool", "{out:a"], 0).contains("not closed"));
        assert!(err(&["{in:0}"], 1).contains("program itself"));
        assert!(matches!(parse_argv(&[], 0), Err(RunError::EmptyCommand)));
    }

    #[cfg(unix)]
    #[test]
    fn a_run_materialises_inputs_and_hashes_outputs_without_touching_the_originals() {
        let dir = std::env::temp_dir().join(format!("pacta-run-test-{}", std::process::id()));
        let vault = Vault::open(dir.join("vault")).unwrap();
        let put = vault.put(&b"hello evidence\n"[..]).unwrap();
        let a = argv(&[
            "sh",
            "-c",
            "tr a-z A-Z < \"$1\" > \"$2\"; echo appended >> \"$1\"",
            "sh",
            "{in:0}",
            "{out:upper.txt}",
        ]);
        let inputs = [Input {
            hash: put.hash,
            name: "sample.txt".into(),
        }];
        let run = execute(&vault, &a, &inputs, &dir, true).unwrap();
        assert_eq!(run.outputs.len(), 1);
        assert_eq!(run.outputs[0].hash, BlobHash::of(b"HELLO EVIDENCE\n"));
        assert_eq!(
            vault.get(&run.outputs[0].hash).unwrap(),
            b"HELLO EVIDENCE\n"
        );
        assert_eq!(
            vault.get(&put.hash).unwrap(),
            b"hello evidence\n",
            "the tool wrote to its working copy, not the original"
        );

        let failing = argv(&["sh", "-c", "echo broken >&2; exit 3"]);
        let err = execute(&vault, &failing, &[], &dir, false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("broken") && err.contains('3'), "{err}");
        let silent = argv(&["true", "{out:never.txt}"]);
        assert!(
            matches!(execute(&vault, &silent, &[], &dir, false), Err(RunError::MissingOutput(n)) if n == "never.txt")
        );
        let leftovers: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("pacta-run-"))
            .collect();
        assert!(leftovers.is_empty(), "scratch directories are removed");
        let _ = std::process::Command::new("chmod")
            .arg("-R")
            .arg("u+w")
            .arg(&dir)
            .status();
        let _ = fs::remove_dir_all(&dir);
    }
}
