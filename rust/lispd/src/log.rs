// SPDX-License-Identifier: GPL-2.0

//! Logging: to stderr in the foreground (the journal takes it under systemd), to syslog when
//! lispd detached itself. Keys never reach it: nothing logs a `MapServer`'s key.

use std::ffi::CString;
use std::io::Write;

use lispd::config::Level;

/// Where log lines go, and from which level on.
pub struct Log {
    level: Level,
    syslog: bool,
}

impl Log {
    /// A logger to stderr (`syslog` false) or syslog.
    pub fn new(level: Level, syslog: bool) -> Log {
        if syslog {
            // SAFETY: The identifier is a static C string, as openlog keeps the pointer.
            unsafe { libc::openlog(c"lispd".as_ptr(), libc::LOG_PID, libc::LOG_DAEMON) };
        }
        Log { level, syslog }
    }

    /// Changes the level (a reload).
    pub fn set_level(&mut self, level: Level) {
        self.level = level;
    }

    /// Logs `msg` at `level`.
    pub fn write(&self, level: Level, msg: &str) {
        if level > self.level {
            return;
        }
        if self.syslog {
            let prio = match level {
                Level::Error => libc::LOG_ERR,
                Level::Warn => libc::LOG_WARNING,
                Level::Info => libc::LOG_INFO,
                Level::Debug => libc::LOG_DEBUG,
            };
            let Ok(m) = CString::new(msg.replace('\0', " ")) else {
                return;
            };
            // SAFETY: Both strings are NUL-terminated; "%s" consumes exactly one argument.
            unsafe { libc::syslog(prio, c"%s".as_ptr(), m.as_ptr()) };
        } else {
            let _ = writeln!(std::io::stderr(), "lispd: {}: {msg}", level.name());
        }
    }
}
