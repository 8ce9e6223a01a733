//! Installable without a clone: `sgkeys --version` names the version and the commit it was
//! built from (build.rs), the crate ships what builds it and nothing else (`cargo package
//! --list`), and `scripts/release.sh` makes an archive with the binary, completions and man
//! pages, and SHA-256 sums that check (here with the test binary: `--binary`; the release
//! build itself is `scripts/release.sh` with no argument).

use std::path::Path;
use std::process::Command;

use crate::common::run::BIN;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn output(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `git` in the crate's directory, when it is the top of a git work tree.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(ROOT)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[test]
fn the_version_names_the_commit() {
    let v = output(Command::new(BIN).arg("--version"));
    let want = format!("sgkeys {} (commit ", env!("CARGO_PKG_VERSION"));
    assert!(v.starts_with(&want), "{v}");
    assert!(v.trim_end().ends_with(&format!(", {})", target())), "{v}");
    let top = git(&["rev-parse", "--show-toplevel"]);
    let here = std::fs::canonicalize(ROOT).unwrap();
    match top.map(|t| std::fs::canonicalize(t).unwrap()) {
        Some(t) if t == here => {
            let head = git(&["rev-parse", "--short=12", "HEAD"]).unwrap();
            assert!(
                v.contains(&format!("(commit {head},")),
                "{v} is not HEAD {head}"
            );
        }
        _ => eprintln!("not a git checkout: the version says {v}"),
    }
}

/// This machine's target triple, as rustc names it.
fn target() -> String {
    let v = output(Command::new(std::env::var("RUSTC").unwrap_or("rustc".into())).arg("-vV"));
    v.lines()
        .find_map(|l| l.strip_prefix("host: "))
        .unwrap()
        .to_owned()
}

#[test]
fn the_crate_ships_what_builds_it_and_no_test_fixture() {
    let cargo = std::env::var("CARGO").unwrap_or("cargo".into());
    let list = output(
        Command::new(cargo)
            .args([
                "package",
                "--list",
                "--locked",
                "--offline",
                "--allow-dirty",
            ])
            .current_dir(ROOT),
    );
    let files: Vec<&str> = list.lines().collect();
    for needed in [
        "Cargo.toml",
        "Cargo.lock",
        "LICENSE",
        "README.md",
        "build.rs",
        "assets/scopes.json",
        "src/main.rs",
        "src/lib.rs",
        "src/audit/report.css",
        "src/audit/report.js",
    ] {
        assert!(
            files.contains(&needed),
            "{needed} is not in the crate: {files:?}"
        );
    }
    for f in &files {
        let shipped = f.starts_with("src/")
            || [
                "Cargo.toml",
                "Cargo.toml.orig",
                "Cargo.lock",
                "LICENSE",
                "README.md",
                "build.rs",
                "assets/scopes.json",
                ".cargo_vcs_info.json",
            ]
            .contains(f);
        assert!(shipped, "the crate would ship {f}");
        assert!(!f.ends_with(".snap") && !f.ends_with(".png"), "{f}");
    }
}

#[test]
fn the_release_script_packs_binary_completions_man_pages_and_sums() {
    let dist = tempfile::tempdir().unwrap();
    let said = output(
        Command::new("bash")
            .arg(Path::new(ROOT).join("scripts/release.sh"))
            .args(["--binary", BIN])
            .env("DIST", dist.path())
            .env("GZIP_LEVEL", "1")
            .current_dir(ROOT),
    );
    let version = env!("CARGO_PKG_VERSION");
    let name = format!("sgkeys-{version}-{}", target());
    let archive = dist.path().join(format!("{name}.tar.gz"));
    assert!(said.contains("SHA256SUMS"), "{said}");
    let listing = output(Command::new("tar").arg("tzf").arg(&archive));
    for f in [
        "sgkeys",
        "README.md",
        "LICENSE",
        "completions/sgkeys.bash",
        "completions/_sgkeys",
        "completions/sgkeys.fish",
        "man/man1/sgkeys.1",
        "man/man1/sgkeys-export.1",
        "man/man1/sgkeys-audit.1",
    ] {
        assert!(
            listing.lines().any(|l| l == format!("{name}/{f}")),
            "{f} is not in the archive:\n{listing}"
        );
    }
    // the sums check, and the archive's binary runs and names its version
    let sums = format!("sgkeys-{version}-SHA256SUMS");
    output(
        Command::new("sha256sum")
            .args(["-c", &sums])
            .current_dir(dist.path()),
    );
    output(
        Command::new("tar")
            .arg("xzf")
            .arg(&archive)
            .current_dir(dist.path()),
    );
    let v = output(Command::new(dist.path().join(&name).join("sgkeys")).arg("--version"));
    assert!(v.starts_with(&format!("sgkeys {version} (commit ")), "{v}");
    let fish =
        std::fs::read_to_string(dist.path().join(&name).join("completions/sgkeys.fish")).unwrap();
    assert!(
        fish.contains("complete -c sgkeys"),
        "a fish completion script"
    );
}
