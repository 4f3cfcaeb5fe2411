//! Writing to disk without losing or clobbering anything.
//!
//! - A file is written to a temporary name in its own folder, synced,
//!   renamed over its target and the folder synced; the temporary file is
//!   removed on every error (and by the next run if the process was killed).
//! - Only a regular file is ever replaced (through a symlink to one, the
//!   file it points to). A FIFO, device, socket or folder is refused.
//! - A set of files that belong together (a report folder, a price book) is
//!   written as a new folder and swapped in as a whole: with one atomic
//!   exchange where the filesystem offers it (Linux `RENAME_EXCHANGE`),
//!   otherwise with two renames, between which the folder is briefly absent
//!   (a reader sees nothing, never a mix).

use std::fs::{File, Metadata};
use std::io::Write;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

/// What went wrong writing, and where.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{path} is {what}, not a regular file: emrcost only ever replaces regular files; give the path of a file to create or replace")]
    NotRegular { path: PathBuf, what: &'static str },
    #[error("{path} is {what}, not a folder: give a folder to write into")]
    NotFolder { path: PathBuf, what: &'static str },
    #[error("{path} holds {examples}, which emrcost did not write; the folder is replaced as a whole, so give a new or empty folder (or one emrcost wrote before)")]
    Foreign { path: PathBuf, examples: String },
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A human name for what kind of thing `meta` describes.
pub fn kind(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_file() {
        "a regular file"
    } else if t.is_dir() {
        "a folder"
    } else if t.is_symlink() {
        "a symbolic link"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// The file to write for `path`: `path` itself when it does not exist or is
/// a regular file, the file a symlink points to when that is a regular
/// file; anything else is refused.
pub fn file_target(path: &Path) -> Result<PathBuf, WriteError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(path.to_path_buf()),
        Err(e) => return Err(io(path)(e)),
    };
    if meta.file_type().is_symlink() {
        return match std::fs::canonicalize(path) {
            Ok(real) => match std::fs::metadata(&real) {
                Ok(m) if m.is_file() => Ok(real),
                Ok(m) => Err(WriteError::NotRegular {
                    path: path.to_path_buf(),
                    what: if m.is_dir() {
                        "a symbolic link to a folder"
                    } else {
                        "a symbolic link to a device, FIFO or socket"
                    },
                }),
                Err(e) => Err(io(path)(e)),
            },
            Err(_) => Err(WriteError::NotRegular {
                path: path.to_path_buf(),
                what: "a symbolic link to nothing (or a loop of links)",
            }),
        };
    }
    if meta.is_file() {
        Ok(path.to_path_buf())
    } else {
        Err(WriteError::NotRegular {
            path: path.to_path_buf(),
            what: kind(&meta),
        })
    }
}

fn parent_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

fn sync_folder(dir: &Path) {
    // Not every filesystem can sync a folder; the rename is done either way.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Starts the disk write of what `file` holds, without waiting for it
/// (Linux; elsewhere nothing). A big output written this way as it grows
/// leaves little for [`Staged::commit`]'s sync to wait for: `price` on 10M
/// runs writes 3 GB, and syncing it all at the end took seconds.
pub fn start_writeback(file: &File) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: a valid open descriptor; offset 0 and length 0 mean the
        // whole file, and SYNC_FILE_RANGE_WRITE only starts write-out.
        // Failure is harmless: the sync before the rename still happens.
        unsafe {
            libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = file;
}

/// A fault-injection point for the crash tests: in debug builds,
/// `EMRCOST_FAULT_AT=N` aborts the process (as `kill -9` would: no
/// clean-up runs) at the N-th point reached. Release builds ignore it.
pub fn fault_point() {
    #[cfg(debug_assertions)]
    {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static REACHED: AtomicUsize = AtomicUsize::new(0);
        if let Some(at) = std::env::var("EMRCOST_FAULT_AT")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
        {
            if REACHED.fetch_add(1, Ordering::SeqCst) + 1 == at {
                std::process::abort();
            }
        }
    }
}

/// A file being written under a temporary name beside its target. Dropped
/// without [`Staged::commit`], the temporary file is removed.
pub struct Staged {
    tmp: PathBuf,
    dest: Option<PathBuf>,
    done: bool,
}

const TMP_MARK: &str = ".emrcost-tmp-";

impl Staged {
    /// Starts writing `dest` (checked with [`file_target`]); returns the
    /// open temporary file, to be closed before [`Staged::commit`].
    pub fn create(dest: &Path) -> Result<(Staged, File), WriteError> {
        let dest = file_target(dest)?;
        let dir = parent_of(&dest).to_path_buf();
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("file");
        for left in leftovers(&dir, &format!(".{name}{TMP_MARK}")) {
            let _ = std::fs::remove_file(left);
        }
        Self::open(
            dir.join(format!(".{name}{TMP_MARK}{}", std::process::id())),
            Some(dest),
        )
    }

    /// A scratch file in the system's temporary folder, removed when dropped.
    pub fn scratch(label: &str) -> Result<(Staged, File), WriteError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let tmp =
            std::env::temp_dir().join(format!("emrcost-{label}-{}-{nanos}", std::process::id()));
        Self::open(tmp, None)
    }

    fn open(tmp: PathBuf, dest: Option<PathBuf>) -> Result<(Staged, File), WriteError> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .or_else(|e| {
                // A file of this name left by an earlier run with our pid.
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    std::fs::remove_file(&tmp)?;
                    std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .open(&tmp)
                } else {
                    Err(e)
                }
            })
            .map_err(io(&tmp))?;
        Ok((
            Staged {
                tmp,
                dest,
                done: false,
            },
            file,
        ))
    }

    /// The temporary file's path.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// Syncs the temporary file, renames it over the target, syncs the folder.
    pub fn commit(mut self) -> Result<PathBuf, WriteError> {
        let dest = self.dest.clone().unwrap_or_else(|| self.tmp.clone());
        File::open(&self.tmp)
            .and_then(|f| f.sync_all())
            .map_err(io(&dest))?;
        if self.dest.is_some() {
            fault_point();
            std::fs::rename(&self.tmp, &dest).map_err(io(&dest))?;
            sync_folder(parent_of(&dest));
        }
        self.done = true;
        Ok(dest)
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.done || self.dest.is_none() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes `path` atomically with whatever `write` puts in it.
pub fn write_with(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<File>) -> std::io::Result<()>,
) -> Result<PathBuf, WriteError> {
    let (staged, file) = Staged::create(path)?;
    let mut w = std::io::BufWriter::new(file);
    write(&mut w).and_then(|_| w.flush()).map_err(io(path))?;
    drop(w);
    staged.commit()
}

/// Writes `bytes` to `path` atomically.
pub fn write(path: &Path, bytes: &[u8]) -> Result<PathBuf, WriteError> {
    write_with(path, |w| w.write_all(bytes))
}

/// The rules of one kind of folder that is replaced as a whole.
pub struct FolderKind<'a> {
    /// A file in the folder that marks it as one emrcost wrote (written
    /// with the other files, so the new folder has it too).
    pub marker: &'a str,
    /// Top-level names this kind of folder manages: they are replaced,
    /// and dropped when the new set lacks them.
    pub managed: &'a dyn Fn(&str) -> bool,
}

/// What [`replace_folder`] did besides writing.
#[derive(Debug, Default)]
pub struct Replaced {
    /// Entries the user had put in the folder, carried over unchanged.
    pub kept: Vec<String>,
    /// Entries recovered from a write that was interrupted earlier.
    pub recovered: Vec<String>,
}

/// Replaces folder `out` with exactly `files` (paths relative to it), as a
/// whole. Entries of `out` the folder kind does not manage (say a README,
/// or another report folder inside) are carried over, but only into a
/// folder emrcost wrote before (it has the marker); otherwise they are
/// refused, so that a stray `--out ~` cannot sweep a home folder.
pub fn replace_folder(
    out: &Path,
    files: &[(String, Vec<u8>)],
    kind_of_folder: &FolderKind<'_>,
) -> Result<Replaced, WriteError> {
    let out = absolute(out)?;
    let exists = match std::fs::symlink_metadata(&out) {
        Ok(m) if m.is_dir() => true,
        Ok(m) => {
            return Err(WriteError::NotFolder {
                path: out.clone(),
                what: kind(&m),
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(io(&out)(e)),
    };
    let parent = parent_of(&out).to_path_buf();
    let name = out
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| WriteError::NotFolder {
            path: out.clone(),
            what: "the root or a path without a name",
        })?
        .to_string();
    std::fs::create_dir_all(&parent).map_err(io(&parent))?;
    let mut done = Replaced::default();
    if exists {
        // A FIFO or device under a name the folder kind manages is not
        // emrcost's to replace.
        for entry in std::fs::read_dir(&out).map_err(io(&out))?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if (kind_of_folder.managed)(&name) || name == kind_of_folder.marker {
                if let Ok(m) = std::fs::symlink_metadata(entry.path()) {
                    if !(m.is_file() || m.is_dir()) {
                        return Err(WriteError::NotRegular {
                            path: entry.path(),
                            what: kind(&m),
                        });
                    }
                }
            }
        }
        let foreign = foreign_entries(&out, kind_of_folder)?;
        let ours = out.join(kind_of_folder.marker).is_file();
        let refused: Vec<&String> = foreign
            .iter()
            .filter(|f| !ours && !out.join(f).join(kind_of_folder.marker).is_file())
            .collect();
        if !refused.is_empty() {
            let mut examples: Vec<String> = refused.iter().take(3).map(|s| s.to_string()).collect();
            if refused.len() > 3 {
                examples.push(format!("{} more", refused.len() - 3));
            }
            return Err(WriteError::Foreign {
                path: out,
                examples: examples.join(", "),
            });
        }
    }
    let staging = parent.join(format!(".{name}{SWAP_MARK}{}", std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
    }
    let result = (|| {
        std::fs::create_dir(&staging).map_err(io(&staging))?;
        for (rel, bytes) in files {
            let path = staging.join(rel);
            let dir = parent_of(&path);
            std::fs::create_dir_all(dir).map_err(io(dir))?;
            let mut f = File::create(&path).map_err(io(&path))?;
            f.write_all(bytes)
                .and_then(|_| f.sync_all())
                .map_err(io(&path))?;
        }
        sync_folder(&staging);
        fault_point();
        if exists {
            exchange(&staging, &out).map_err(io(&out))?;
            sync_folder(&parent);
            // `staging` now holds the old folder: bring the user's entries over.
            done.kept = carry(&staging, &out, kind_of_folder)?;
        } else {
            std::fs::rename(&staging, &out).map_err(io(&out))?;
            sync_folder(&parent);
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&staging);
    result?;
    done.recovered = recover(&parent, &name, &out, kind_of_folder)?;
    Ok(done)
}

const SWAP_MARK: &str = ".emrcost-swap-";

fn absolute(path: &Path) -> Result<PathBuf, WriteError> {
    // Resolve a symlinked folder to the folder itself, so it is the folder
    // that is swapped and the link stays.
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return std::fs::canonicalize(path).map_err(|_| WriteError::NotFolder {
            path: path.to_path_buf(),
            what: "a symbolic link to nothing (or a loop of links)",
        });
    }
    if path.is_absolute() {
        Ok(path.to_path_buf())
    } else {
        let cwd = std::env::current_dir().map_err(io(path))?;
        Ok(cwd.join(path))
    }
}

fn foreign_entries(dir: &Path, k: &FolderKind<'_>) -> Result<Vec<String>, WriteError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name != k.marker && !(k.managed)(&name) {
            out.push(name);
        }
    }
    out.sort();
    Ok(out)
}

/// Moves the entries of `from` the folder kind does not manage into `to`
/// (when `to` has no entry of that name).
fn carry(from: &Path, to: &Path, k: &FolderKind<'_>) -> Result<Vec<String>, WriteError> {
    let names = foreign_entries(from, k)?;
    let mut moved = Vec::new();
    for name in names {
        let target = to.join(&name);
        if std::fs::symlink_metadata(&target).is_ok() {
            continue;
        }
        fault_point();
        std::fs::rename(from.join(&name), &target).map_err(io(&target))?;
        moved.push(name);
    }
    if !moved.is_empty() {
        sync_folder(to);
    }
    Ok(moved)
}

/// Finishes what a killed run left beside `out`: the swap folders of
/// processes no longer running give back the user's entries, then go.
fn recover(
    parent: &Path,
    name: &str,
    out: &Path,
    k: &FolderKind<'_>,
) -> Result<Vec<String>, WriteError> {
    let mut recovered = Vec::new();
    for left in leftovers(parent, &format!(".{name}{SWAP_MARK}")) {
        if left.is_dir() {
            recovered.extend(carry(&left, out, k)?);
            let _ = std::fs::remove_dir_all(&left);
        }
    }
    Ok(recovered)
}

/// Entries of `dir` named `prefix` + the pid of a process that has ended.
fn leftovers(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| {
            let file = e.file_name().to_string_lossy().into_owned();
            file.strip_prefix(prefix).is_some_and(|rest| {
                let pid = rest.split('.').next().unwrap_or(rest);
                pid != std::process::id().to_string() && !alive(pid)
            })
        })
        .map(|e| e.path())
        .collect()
}

fn alive(pid: &str) -> bool {
    Path::new("/proc").join(pid).exists()
}

/// Exchanges two folders atomically where the system can; otherwise
/// moves `b` aside, `a` into its place, and the old `b` to `a`'s name.
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        let ca = CString::new(a.as_os_str().as_bytes())?;
        let cb = CString::new(b.as_os_str().as_bytes())?;
        // SAFETY: two valid NUL-terminated paths; renameat2 reads them only.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_renameat2,
                libc::AT_FDCWD,
                ca.as_ptr(),
                libc::AT_FDCWD,
                cb.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        };
        if rc == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        if !matches!(e.raw_os_error(), Some(libc::EINVAL) | Some(libc::ENOSYS)) {
            return Err(e);
        }
    }
    let aside = a.with_extension("old");
    std::fs::rename(b, &aside)?;
    fault_point();
    std::fs::rename(a, b)?;
    std::fs::rename(&aside, a)
}
