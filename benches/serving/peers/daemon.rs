//! A server process under test: started on a port chosen here in a directory of its own,
//! logging to `server.log` there, ready once `GET /readyz` answers 200 to the client the load
//! generator is; killed when dropped.

use std::ffi::OsString;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::common::cluster::get;

/// The longest a server may take to become ready (sample-apiserver waits for its informers).
const STARTUP: Duration = Duration::from_secs(120);
/// The lines of the log a failure shows.
const LOG_LINES: usize = 60;

pub struct Daemon {
    program: PathBuf,
    args: Vec<OsString>,
    port: u16,
    tls: Arc<rustls::ClientConfig>,
    dir: PathBuf,
    child: Option<Child>,
}

impl Daemon {
    /// Runs `program args…` in `dir`, which serve HTTPS on 127.0.0.1:`port` with a
    /// certificate for 127.0.0.1; returns once `/readyz` answers 200 through `tls`.
    pub fn start(
        program: &Path,
        args: Vec<OsString>,
        port: u16,
        tls: Arc<rustls::ClientConfig>,
        dir: &Path,
    ) -> Daemon {
        let mut daemon = Daemon {
            program: program.to_path_buf(),
            args,
            port,
            tls,
            dir: dir.to_path_buf(),
            child: None,
        };
        daemon.spawn();
        daemon
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("a running server").id()
    }

    /// Kills the server as `kill -9` would and starts it again: same flags, port and data.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    fn spawn(&mut self) {
        // Appended to: the log of a restarted server keeps what it logged before.
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.log())
            .unwrap_or_else(|e| panic!("opening {}: {e}", self.log().display()));
        let child = Command::new(&self.program)
            .args(&self.args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("cloning a log handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", self.program.display()));
        self.child = Some(child);
        if let Err(error) = self.wait_ready() {
            self.kill();
            panic!(
                "{} {error}; the end of its log ({}):\n{}",
                self.program.display(),
                self.log().display(),
                self.tail()
            );
        }
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP;
        loop {
            let child = self.child.as_mut().expect("spawned");
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("exited with {status}"));
            }
            let last = match get(&self.tls, self.port, "/readyz") {
                Ok((200, _)) => return Ok(()),
                Ok((status, body)) => format!("{status}: {body}"),
                Err(error) => error,
            };
            if Instant::now() > deadline {
                return Err(format!("not ready after {STARTUP:?}; /readyz: {last}"));
            }
            sleep(Duration::from_millis(100));
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn log(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    fn tail(&self) -> String {
        let log = fs::read_to_string(self.log()).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(LOG_LINES)..].join("\n")
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}
