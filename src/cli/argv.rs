//! Key ids that begin with `-`. Ids are base64url, so 1 in 64 begins with `-` (`-Gx…`), and
//! an argument parser takes that for a flag: `sgkeys revoke -Gx… --yes` would be refused as an
//! unknown option unless the user knew to type `--`. Before clap sees the arguments, a token
//! shaped like a key id (22 characters of `A-Z a-z 0-9 - _`) that begins with `-` and is no
//! flag of the command is taken as a positional argument: the command's flags (with their
//! values) are put first, then `--`, then its positional arguments in the order given. Real
//! flags parse as before, wherever they stand.

use std::ffi::OsString;

use clap::CommandFactory;

/// The arguments, with `-`-leading ids made positional (see the module doc); unchanged when
/// there is none.
pub(crate) fn hyphen_ids(args: Vec<OsString>) -> Vec<OsString> {
    let Some(strs) = args
        .iter()
        .map(|a| a.to_str().map(str::to_owned))
        .collect::<Option<Vec<String>>>()
    else {
        return args;
    };
    let mut top = super::Cli::command();
    top.build();
    // the subcommand: after the global options (and their values)
    let mut i = 1;
    while i < strs.len() {
        let t = &strs[i];
        if t == "--" {
            return args;
        }
        if t.starts_with('-') && t.len() > 1 {
            match flag(&top, t) {
                Some(takes_value) => i += 1 + usize::from(takes_value),
                None => return args,
            }
            continue;
        }
        break;
    }
    let Some(sub) = strs.get(i).and_then(|name| top.find_subcommand(name)) else {
        return args;
    };
    if sub.has_subcommands() || sub.get_positionals().next().is_none() {
        return args;
    }
    let (mut flags, mut positionals, mut moved) = (Vec::new(), Vec::new(), false);
    let mut j = i + 1;
    while j < strs.len() {
        let t = &strs[j];
        if t == "--" {
            positionals.extend(strs[j + 1..].iter().cloned());
            break;
        }
        if t.starts_with('-') && t.len() > 1 {
            match flag(sub, t) {
                Some(takes_value) => {
                    flags.push(t.clone());
                    if takes_value && let Some(v) = strs.get(j + 1) {
                        flags.push(v.clone());
                        j += 1;
                    }
                }
                None if id_shaped(t) => {
                    positionals.push(t.clone());
                    moved = true;
                }
                // an unknown flag: clap says so
                None => flags.push(t.clone()),
            }
        } else {
            positionals.push(t.clone());
        }
        j += 1;
    }
    if !moved {
        return args;
    }
    let mut out: Vec<OsString> = strs[..=i].iter().map(OsString::from).collect();
    out.extend(flags.into_iter().map(OsString::from));
    out.push("--".into());
    out.extend(positionals.into_iter().map(OsString::from));
    out
}

/// Shaped like a key id: 22 characters of the base64url alphabet.
fn id_shaped(t: &str) -> bool {
    t.len() == crate::secret::ID_LEN
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Whether `t` is a flag of `cmd`, and if so whether the next argument is its value (`None`:
/// not a flag it has). `--name=value` and `-xVALUE` carry their value.
fn flag(cmd: &clap::Command, t: &str) -> Option<bool> {
    let takes = |a: &clap::Arg| a.get_action().takes_values();
    if let Some(long) = t.strip_prefix("--") {
        let (name, attached) = match long.split_once('=') {
            Some((n, _)) => (n, true),
            None => (long, false),
        };
        let a = cmd.get_arguments().find(|a| {
            a.get_long() == Some(name) || a.get_all_aliases().is_some_and(|v| v.contains(&name))
        })?;
        // an optional value (`--leaked [KEY]`) is taken only when it does not look like a flag
        return Some(takes(a) && !attached && a.get_num_args().is_some_and(|n| n.min_values() > 0));
    }
    let shorts = &t[1..];
    for (k, c) in shorts.char_indices() {
        let a = cmd.get_arguments().find(|a| a.get_short() == Some(c))?;
        if takes(a) {
            // the rest of the cluster is its value, else the next argument is
            return Some(k + c.len_utf8() == shorts.len());
        }
    }
    Some(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    const ID: &str = "-Gx4CvB7nMq2WeR5tYu8Io";

    fn parse(args: &[&str]) -> Cli {
        let argv: Vec<OsString> = std::iter::once("sgkeys")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        Cli::try_parse_from(hyphen_ids(argv)).unwrap()
    }

    #[test]
    fn ids_that_begin_with_a_hyphen_are_ids_and_flags_still_parse() {
        assert_eq!(ID.len(), 22);
        let cli = parse(&["revoke", ID, "--yes"]);
        let Some(Command::Revoke(r)) = cli.command else {
            panic!("not revoke")
        };
        assert_eq!(r.ids, [ID]);
        assert!(r.yes);
        let cli = parse(&["--json", "show", ID]);
        assert!(cli.global.json);
        assert!(matches!(cli.command, Some(Command::Show(a)) if a.id == ID));
        let cli = parse(&["rotate", "--dry-run", ID, "Qw1ErT6yUi9OpA2sDf7GhJ", "-y"]);
        let Some(Command::Rotate(r)) = cli.command else {
            panic!("not rotate")
        };
        assert_eq!(r.ids, [ID, "Qw1ErT6yUi9OpA2sDf7GhJ"]);
        assert!(r.dry.dry_run && r.yes);
        // positionals keep their order around the id; options keep their values
        let cli = parse(&["rename", ID, "new name", "--dry-run"]);
        assert!(
            matches!(cli.command, Some(Command::Rename(a)) if a.id == ID && a.name == "new name" && a.dry.dry_run)
        );
        let cli = parse(&["rotate", ID, "--name", "web", "--secrets-out", "k.env"]);
        let Some(Command::Rotate(r)) = cli.command else {
            panic!("not rotate")
        };
        assert_eq!(r.name.as_deref(), Some("web"));
        assert_eq!(r.ids, [ID]);
        let cli = parse(&["diff", ID, ID]);
        assert!(
            matches!(cli.command, Some(Command::Diff(d)) if d.a == ID && d.b.as_deref() == Some(ID))
        );
        let cli = parse(&["recreate", ID, "--dry-run"]);
        assert!(matches!(cli.command, Some(Command::Recreate(a)) if a.id == ID));
        let cli = parse(&["set-scopes", ID, "mail.send", "--dry-run"]);
        assert!(matches!(cli.command, Some(Command::SetScopes(a)) if a.id == ID));
    }

    #[test]
    fn nothing_changes_without_such_an_id() {
        let argv: Vec<OsString> = ["sgkeys", "revoke", "--leaked", "--from-report", "r.json"]
            .map(OsString::from)
            .to_vec();
        assert_eq!(hyphen_ids(argv.clone()), argv);
        // an unknown short flag stays a flag (clap refuses it)
        let argv: Vec<OsString> = ["sgkeys", "list", "-Z"].map(OsString::from).to_vec();
        assert_eq!(hyphen_ids(argv.clone()), argv);
        let mut top = Cli::command();
        top.build();
        let revoke = top.find_subcommand("revoke").unwrap();
        assert_eq!(flag(revoke, "-y"), Some(false));
        assert_eq!(flag(revoke, "--from-report"), Some(true));
        assert_eq!(flag(revoke, "--from-report=r.json"), Some(false));
        assert_eq!(flag(revoke, ID), None);
    }
}
