//! Unix domain sockets: dialing a path, and binding one that is cleaned up
//! after.

use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use socket2::{Domain, SockAddr, Socket, Type};
use tokio::net::{UnixListener, UnixStream};

use crate::Error;

/// Connects to the socket at `path`. (The caller bounds it with the dial
/// timeout.)
///
/// # Errors
///
/// [`Error::Connect`] with the system's error.
pub(crate) async fn dial(path: &Path) -> Result<UnixStream, Error> {
    UnixStream::connect(path)
        .await
        .map_err(|e| Error::Connect(Arc::new(e)))
}

/// Binds a listener at `path`. A socket file left there by a server that
/// is gone (nothing accepts on it) is replaced; a live one, or any other
/// file, is an error.
///
/// # Errors
///
/// The bind error: `AddrInUse` while another server listens there.
pub(crate) fn bind(path: &Path) -> io::Result<(UnixListener, SocketFile)> {
    let listener = match UnixListener::bind(path) {
        Err(e) if e.kind() == io::ErrorKind::AddrInUse && is_stale(path) => {
            std::fs::remove_file(path)?;
            UnixListener::bind(path)?
        }
        bound => bound?,
    };
    let file = SocketFile::new(path)?;
    Ok((listener, file))
}

/// True if `path` is a socket nobody accepts on: connecting is refused.
/// (The probe does not block, even on a live server's full backlog.)
fn is_stale(path: &Path) -> bool {
    let is_socket = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket());
    let refused = || -> io::Result<bool> {
        let probe = Socket::new(Domain::UNIX, Type::STREAM, None)?;
        probe.set_nonblocking(true)?;
        Ok(matches!(
            probe.connect(&SockAddr::unix(path)?),
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused
        ))
    };
    is_socket && refused().unwrap_or(false)
}

/// The socket file a listener made: removed when the listener is done with
/// it, unless another server has put its own at the same path since.
#[derive(Debug)]
pub(crate) struct SocketFile {
    path: PathBuf,
    /// The file's device and inode, to know it is still ours.
    id: (u64, u64),
}

impl SocketFile {
    fn new(path: &Path) -> io::Result<SocketFile> {
        let meta = std::fs::symlink_metadata(path)?;
        Ok(SocketFile {
            path: path.to_owned(),
            id: (meta.dev(), meta.ino()),
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        let ours =
            std::fs::symlink_metadata(&self.path).is_ok_and(|m| (m.dev(), m.ino()) == self.id);
        if ours {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
