//! Files the user names: written without leaving half a file behind and without replacing
//! something that is not a plain file; read with a size cap; private append-only logs.
//!
//! Every error names the path it is about.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Most symlinks followed when resolving an output path (as the kernel's `ELOOP` limit).
const MAX_LINKS: usize = 40;

/// Size cap for small input files (policies, earlier reports, the config file).
pub const MAX_INPUT: u64 = 1024 * 1024;

/// `io::Error` of the same kind, with the path in front of the message.
fn at(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Write `bytes` to the user-named output file `path` (`audit --out`, reports).
///
/// - missing or a regular file: written to a temporary file in the same directory, synced,
///   then renamed over `path`, so readers see the old or the new content, never a part. An
///   existing file keeps its permissions; a new one gets the usual ones (0666 less the umask).
///   The temporary file is removed on any error.
/// - a directory: an error ("is a directory"); nothing is created.
/// - a symlink: followed; the file it points to is written as above, the link stays a link.
/// - a FIFO, a character or block device, or a socket: opened for writing (no create, no
///   truncate) and written in place, never replaced.
#[cfg(unix)]
pub fn write_output(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let special = |m: &std::fs::Metadata| {
        let t = m.file_type();
        t.is_fifo() || t.is_char_device() || t.is_block_device() || t.is_socket()
    };
    let in_place = |target: &Path| -> io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .open(target)
            .map_err(|e| at(path, e))?;
        f.write_all(bytes).map_err(|e| at(path, e))?;
        f.flush().map_err(|e| at(path, e))
    };
    // What the path opens, the kernel following every link: also /dev/stdout's "magic" link to
    // a pipe, which has no name a program could resolve by hand.
    if std::fs::metadata(path).is_ok_and(|m| special(&m)) {
        return in_place(path);
    }
    let target = resolve_links(path)?;
    let meta = match std::fs::metadata(&target) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(at(path, e)),
    };
    match meta {
        Some(m) if m.is_dir() => Err(at(
            path,
            io::Error::new(io::ErrorKind::IsADirectory, "is a directory"),
        )),
        Some(m) if special(&m) => in_place(&target),
        existing => replace_file(&target, bytes, existing.as_ref()).map_err(|e| at(path, e)),
    }
}

/// Non-Unix: temp file and rename for anything that is not a directory.
#[cfg(not(unix))]
pub fn write_output(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let meta = std::fs::metadata(path).ok();
    if meta.as_ref().is_some_and(|m| m.is_dir()) {
        return Err(at(
            path,
            io::Error::new(io::ErrorKind::IsADirectory, "is a directory"),
        ));
    }
    replace_file(path, bytes, meta.as_ref()).map_err(|e| at(path, e))
}

/// Follow symlinks (also dangling ones, so a link to a file not yet written still gets it).
fn resolve_links(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&current).map_err(|e| at(path, e))?;
                current = match current.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(at(path, e)),
        }
    }
    Err(at(
        path,
        io::Error::other(format!("more than {MAX_LINKS} levels of symbolic links")),
    ))
}

/// Temp file in `path`'s directory, synced, renamed over `path`.
fn replace_file(path: &Path, bytes: &[u8], existing: Option<&std::fs::Metadata>) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sgkeys-output".into());
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Like a plain `create`: the umask applies.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    // Dropped (and so deleted) on every early return below.
    let mut tmp = builder.tempfile_in(dir)?;
    if let Some(m) = existing {
        tmp.as_file().set_permissions(m.permissions())?;
    }
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        // Make the rename itself durable; not all filesystems allow it, hence best effort.
        let _ = d.sync_all();
    }
    Ok(())
}

/// Open `path` for appending, creating it with mode 0600 (and missing parent directories
/// with 0700). An existing regular file readable or writable by others is tightened to 0600;
/// the warning says so. For private logs such as the journal.
#[cfg(unix)]
pub fn create_private_append(path: &Path) -> io::Result<(File, Option<String>)> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.exists()
    {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| at(dir, e))?;
    }
    let file = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| at(path, e))?;
    let meta = file.metadata().map_err(|e| at(path, e))?;
    let mode = meta.permissions().mode() & 0o7777;
    // Only plain files: a journal sent to /dev/null must not change /dev/null.
    if meta.is_file() && mode & !0o600 != 0 {
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| at(path, e))?;
        return Ok((
            file,
            Some(format!(
                "tightened permissions of {} from {mode:04o} to 0600",
                path.display()
            )),
        ));
    }
    Ok((file, None))
}

#[cfg(not(unix))]
pub fn create_private_append(path: &Path) -> io::Result<(File, Option<String>)> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| at(dir, e))?;
    }
    let file = OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| at(path, e))?;
    Ok((file, None))
}

/// "1 MiB", "64 KiB" or "100 bytes".
pub fn human_size(n: u64) -> String {
    match n {
        n if n >= 1024 * 1024 && n % (1024 * 1024) == 0 => format!("{} MiB", n / (1024 * 1024)),
        n if n >= 1024 && n % 1024 == 0 => format!("{} KiB", n / 1024),
        n => format!("{n} bytes"),
    }
}

/// The bytes of a file of at most `max` bytes; a larger (or endless) one is an error as soon
/// as `max + 1` bytes were read: "the file is larger than 1 MiB".
pub fn read_capped(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    File::open(path)?
        .take(max.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the file is larger than {}", human_size(max)),
        ));
    }
    Ok(bytes)
}

/// Read a UTF-8 text file of at most `max` bytes: a drop-in for `std::fs::read_to_string`
/// (its errors do not repeat the path; callers name it). A larger input, or an endless one such
/// as `/dev/zero`, is an error as soon as `max + 1` bytes were read: "the file is larger than
/// 1 MiB".
pub fn read_to_string_capped(path: &Path, max: u64) -> io::Result<String> {
    String::from_utf8(read_capped(path, max)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "the file is not UTF-8 text"))
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn missing_and_regular_files_are_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("report.csv");
        write_output(&p, b"one\n").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"one\n");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_output(&p, b"two\n").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two\n");
        // kept its permissions, left no temp file
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        assert_eq!(entries(dir.path()), ["report.csv"]);
    }

    #[test]
    fn a_new_file_gets_ordinary_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("new.md");
        write_output(&p, b"x").unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        // 0666 less the umask: at least readable by its owner, never executable.
        assert_eq!(mode & 0o600, 0o600, "{mode:o}");
        assert_eq!(mode & 0o111, 0, "{mode:o}");
    }

    #[test]
    fn a_directory_is_an_error_and_nothing_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("out");
        std::fs::create_dir(&sub).unwrap();
        let e = write_output(&sub, b"x").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::IsADirectory);
        let msg = e.to_string();
        assert!(
            msg.contains("is a directory") && msg.contains(&*sub.to_string_lossy()),
            "{msg}"
        );
        assert_eq!(entries(dir.path()), ["out"]);
        assert!(entries(&sub).is_empty());
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("nope/report.csv");
        let msg = write_output(&p, b"x").unwrap_err().to_string();
        assert!(msg.contains("nope/report.csv"), "{msg}");
    }

    #[test]
    fn a_symlink_stays_a_symlink_and_its_target_gets_the_content() {
        let dir = tempfile::tempdir().unwrap();
        let real_dir = dir.path().join("real");
        std::fs::create_dir(&real_dir).unwrap();
        let target = real_dir.join("audit.json");
        std::fs::write(&target, "old").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("real/audit.json", &link).unwrap();
        write_output(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(entries(&real_dir), ["audit.json"]);
        assert_eq!(entries(dir.path()), ["link.json", "real"]);

        // a dangling link: the file it names is created, the link kept
        let dangling = dir.path().join("later.json");
        std::os::unix::fs::symlink(real_dir.join("later.json"), &dangling).unwrap();
        write_output(&dangling, b"made").unwrap();
        assert!(
            std::fs::symlink_metadata(&dangling)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            std::fs::read_to_string(real_dir.join("later.json")).unwrap(),
            "made"
        );

        // a loop is an error, not a hang
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::os::unix::fs::symlink(&b, &a).unwrap();
        std::os::unix::fs::symlink(&a, &b).unwrap();
        assert!(write_output(&a, b"x").is_err());
    }

    #[test]
    fn a_fifo_is_written_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        write_output(&fifo, b"through the pipe").unwrap();
        assert_eq!(reader.join().unwrap(), b"through the pipe");
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
        assert_eq!(entries(dir.path()), ["pipe"]);
    }

    #[test]
    fn dev_null_stays_a_device() {
        write_output(Path::new("/dev/null"), b"gone").unwrap();
        assert!(
            std::fs::metadata("/dev/null")
                .unwrap()
                .file_type()
                .is_char_device()
        );
    }

    #[test]
    fn dev_full_is_an_error_and_stays_a_device() {
        let full = Path::new("/dev/full");
        if !std::fs::metadata(full).is_ok_and(|m| m.file_type().is_char_device()) {
            return;
        }
        let e = write_output(full, b"x").unwrap_err();
        assert!(e.to_string().contains("/dev/full"), "{e}");
        assert!(
            std::fs::metadata(full)
                .unwrap()
                .file_type()
                .is_char_device()
        );
    }

    #[test]
    fn private_append_creates_0600_in_a_0700_dir_and_tightens() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state/sgkeys/journal.jsonl");
        let (mut f, warning) = create_private_append(&p).unwrap();
        assert!(warning.is_none());
        f.write_all(b"a\n").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode(&p), 0o600);
        assert_eq!(mode(&dir.path().join("state")), 0o700);
        assert_eq!(mode(&dir.path().join("state/sgkeys")), 0o700);

        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let (mut f, warning) = create_private_append(&p).unwrap();
        let warning = warning.unwrap();
        assert!(
            warning.contains("from 0644 to 0600") && warning.contains("journal.jsonl"),
            "{warning}"
        );
        assert_eq!(mode(&p), 0o600);
        f.write_all(b"b\n").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "a\nb\n");

        // stricter than 0600 is left alone
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o200)).unwrap();
        let (_, warning) = create_private_append(&p).unwrap();
        assert!(warning.is_none());
        assert_eq!(mode(&p), 0o200);
    }

    #[test]
    fn capped_reads() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("policy.toml");
        std::fs::write(&p, "x".repeat(10)).unwrap();
        assert_eq!(read_to_string_capped(&p, 10).unwrap(), "x".repeat(10));
        let e = read_to_string_capped(&p, 9).unwrap_err().to_string();
        assert_eq!(e, "the file is larger than 9 bytes");
        let t = std::time::Instant::now();
        let e = read_to_string_capped(Path::new("/dev/zero"), MAX_INPUT)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "the file is larger than 1 MiB");
        assert!(t.elapsed() < std::time::Duration::from_secs(2));
        std::fs::write(&p, [0xff, 0xfe]).unwrap();
        assert!(
            read_to_string_capped(&p, 10)
                .unwrap_err()
                .to_string()
                .contains("not UTF-8")
        );
        let e = read_to_string_capped(&dir.path().join("nope"), 10).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert_eq!(human_size(64 * 1024), "64 KiB");
    }
}
