//! What the kernel knows about a server process: CPU time (utime + stime of
//! `/proc/<pid>/stat`), resident memory now (`VmRSS`) and at its peak (`VmHWM`, which
//! `echo 5 > /proc/<pid>/clear_refs` resets to the current RSS).

use std::fs;

/// Clock ticks per second of `/proc/<pid>/stat` (`sysconf(_SC_CLK_TCK)`, 100 on Linux).
const CLOCK_TICKS: f64 = 100.0;

/// CPU seconds the process has used so far, user and system.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; the fields after it are space-separated.
    let fields: Vec<&str> = stat[stat.rfind(')')? + 2..].split(' ').collect();
    // utime and stime are fields 14 and 15 of stat(5); `fields` starts at field 3.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / CLOCK_TICKS)
}

/// Resident memory now, in bytes.
pub fn rss(pid: u32) -> Option<u64> {
    status_kib(pid, "VmRSS:").map(|kib| kib * 1024)
}

/// The peak resident memory since the process started or [`reset_peak`], in bytes.
pub fn peak_rss(pid: u32) -> Option<u64> {
    status_kib(pid, "VmHWM:").map(|kib| kib * 1024)
}

/// Makes the peak resident memory the current one.
pub fn reset_peak(pid: u32) {
    // Without the right to (another user's process) the peak stays the lifetime peak.
    let _ = fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    line[field.len()..].split_whitespace().next()?.parse().ok()
}

/// The CPU time and peak memory of a process over a stretch of work.
pub struct Usage {
    pid: Option<u32>,
    cpu_before: Option<f64>,
}

/// What [`Usage::finish`] measured.
#[derive(Clone, Copy, Debug, Default)]
pub struct Used {
    pub cpu_seconds: Option<f64>,
    pub peak_rss: Option<u64>,
}

impl Usage {
    /// Starts measuring `pid` (nothing when None).
    pub fn start(pid: Option<u32>) -> Usage {
        if let Some(pid) = pid {
            reset_peak(pid);
        }
        Usage {
            pid,
            cpu_before: pid.and_then(cpu_seconds),
        }
    }

    pub fn finish(self) -> Used {
        let Some(pid) = self.pid else {
            return Used::default();
        };
        Used {
            cpu_seconds: cpu_seconds(pid).zip(self.cpu_before).map(|(a, b)| a - b),
            peak_rss: peak_rss(pid),
        }
    }
}

impl Used {
    /// Both stretches together: CPU adds up, the peak is the higher one.
    pub fn merge(&mut self, other: Used) {
        self.cpu_seconds = match (self.cpu_seconds, other.cpu_seconds) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        self.peak_rss = self.peak_rss.max(other.peak_rss);
    }
}
