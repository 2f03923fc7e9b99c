// SPDX-License-Identifier: GPL-2.0

//! The daemon's I/O: the control-plane UDP socket, the kernel's miss events and map-cache
//! over generic netlink, the status socket, signals, and the poll loop that feeds `Engine`.

use std::io::{ErrorKind, Write};
use std::net::{IpAddr, Ipv6Addr, SocketAddr, UdpSocket};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::time::Instant;

use lisp_client::{Action, Client, Error, Event, Events, MapEntry, Origin, Prefix, Rloc};

use crate::log::Log;
use lispd::config::{Config, Level, CONTROL_PORT};
use lispd::engine::{Engine, Install, Key, Negative, Output, Serves};

/// A lisp device lispd serves: its name, index and instance IDs.
struct Dev {
    name: String,
    ifindex: u32,
}

/// Everything the loop owns.
pub struct Daemon {
    cfg_path: String,
    log: Log,
    engine: Engine,
    client: Client,
    events: Events,
    udp: UdpSocket,
    /// Whether `udp` is an IPv6 socket (IPv4 peers then appear as mapped addresses).
    dual: bool,
    status: UnixListener,
    status_path: String,
    signals: OwnedFd,
    devs: Vec<Dev>,
}

/// Finds the configured devices in the kernel: their indexes and instance IDs.
fn resolve_devices(client: &mut Client, cfg: &Config) -> Result<(Vec<Dev>, Serves), String> {
    let mut devs = Vec::new();
    let mut serves = Vec::new();
    for d in &cfg.devices {
        let info = client
            .dev_get(&d.name)
            .map_err(|e| format!("device {}: {e}", d.name))?;
        let ifindex = info
            .ifindex
            .ok_or_else(|| format!("device {}: no interface index", d.name))?;
        let iids = if d.instance_ids.is_empty() {
            vec![info.default_iid.unwrap_or(0)]
        } else {
            d.instance_ids.clone()
        };
        devs.push(Dev {
            name: d.name.clone(),
            ifindex,
        });
        serves.push((d.name.clone(), iids));
    }
    Ok((devs, serves))
}

fn bind_udp() -> Result<(UdpSocket, bool), String> {
    let any6 = SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), CONTROL_PORT);
    // A dual-stack IPv6 socket takes both families; without IPv6, an IPv4 one.
    let (s, dual) = match UdpSocket::bind(any6) {
        Ok(s) => (s, true),
        Err(e) if e.kind() == ErrorKind::AddrInUse => {
            return Err(format!(
                "UDP port {CONTROL_PORT} is in use (another lispd or xTR?)"
            ))
        }
        Err(_) => (
            UdpSocket::bind(("0.0.0.0", CONTROL_PORT))
                .map_err(|e| format!("cannot bind UDP port {CONTROL_PORT}: {e}"))?,
            false,
        ),
    };
    s.set_nonblocking(true).map_err(|e| e.to_string())?;
    grow_rcvbuf(s.as_raw_fd());
    Ok((s, dual))
}

/// Gives a socket room for bursts (a Map-Server forwarding many requests, thousands of misses
/// at once): the default buffer holds a few hundred messages. lispd has CAP_NET_ADMIN (it
/// changes map-caches), so it may exceed rmem_max; without, the kernel caps the size there.
fn grow_rcvbuf(fd: RawFd) {
    let size: libc::c_int = 8 << 20;
    for opt in [libc::SO_RCVBUFFORCE, libc::SO_RCVBUF] {
        // SAFETY: `size` is a valid c_int for the duration of the call, and its length is
        // given; `fd` is an open socket.
        let r = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                opt,
                (&size as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if r == 0 {
            return;
        }
    }
}

/// Binds the status socket, taking over a stale one (no listener behind it).
fn bind_status(path: &str) -> Result<UnixListener, String> {
    if UnixStream::connect(path).is_ok() {
        return Err(format!(
            "status socket {path} is in use: is another lispd running?"
        ));
    }
    let _ = std::fs::remove_file(path);
    let l =
        UnixListener::bind(path).map_err(|e| format!("cannot bind status socket {path}: {e}"))?;
    l.set_nonblocking(true).map_err(|e| e.to_string())?;
    Ok(l)
}

/// Blocks SIGHUP, SIGTERM and SIGINT and returns a signalfd that reads them.
fn signal_fd() -> Result<OwnedFd, String> {
    // SAFETY: `set` is a local sigset_t that sigemptyset initialises before any other use;
    // sigprocmask and signalfd only read it. The returned fd is owned by nothing else.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGHUP);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::sigaddset(&mut set, libc::SIGINT);
        if libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
            return Err("sigprocmask failed".into());
        }
        let fd = libc::signalfd(-1, &set, libc::SFD_NONBLOCK | libc::SFD_CLOEXEC);
        if fd < 0 {
            return Err(format!("signalfd: {}", std::io::Error::last_os_error()));
        }
        Ok(OwnedFd::from_raw_fd(fd))
    }
}

/// The next pending signal number, if any.
fn read_signal(fd: RawFd) -> Option<i32> {
    // SAFETY: signalfd_siginfo is plain data; read() writes at most its size into it.
    let mut info: libc::signalfd_siginfo = unsafe { std::mem::zeroed() };
    let n = std::mem::size_of::<libc::signalfd_siginfo>();
    // SAFETY: `info` is a valid, writable buffer of `n` bytes.
    let r = unsafe { libc::read(fd, (&mut info as *mut libc::signalfd_siginfo).cast(), n) };
    (r == n as isize).then_some(info.ssi_signo as i32)
}

/// 8 random bytes from the kernel, for the nonce generator's seed.
fn seed() -> u64 {
    let mut b = [0u8; 8];
    // SAFETY: `b` is a valid, writable 8-byte buffer.
    let n = unsafe { libc::getrandom(b.as_mut_ptr().cast(), b.len(), 0) };
    if n != 8 {
        // Not expected on Linux ≥ 3.17; the time keeps nonces distinct across restarts.
        return std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
    }
    u64::from_ne_bytes(b)
}

fn prefix_of(k: &Key) -> Prefix {
    Prefix {
        addr: k.addr,
        len: k.plen,
    }
}

fn entry_of(i: &Install) -> MapEntry {
    MapEntry {
        prefix: prefix_of(&i.key),
        iid: Some(i.key.iid),
        rlocs: i
            .rlocs
            .iter()
            .map(|&(addr, priority, weight, up)| Rloc {
                addr,
                priority,
                weight,
                up,
            })
            .collect(),
        ttl: Some(i.ttl),
        action: i.action.map(|a| match a {
            Negative::Drop => Action::Drop,
            Negative::Forward => Action::Forward,
            Negative::Notify => Action::Notify,
        }),
        origin: Some(Origin::Lispd),
    }
}

impl Daemon {
    /// Opens everything; fails with a message naming what is missing.
    pub fn new(cfg_path: &str, cfg: Config, log: Log) -> Result<Daemon, String> {
        let mut client =
            Client::open().map_err(|e| format!("generic netlink family \"lisp\": {e}"))?;
        let (devs, serves) = resolve_devices(&mut client, &cfg)?;
        let events = Events::open().map_err(|e| format!("lisp events group: {e}"))?;
        grow_rcvbuf(events.as_raw_fd());
        let (udp, dual) = bind_udp()?;
        let status_path = cfg.status_socket.clone();
        let status = bind_status(&status_path)?;
        let signals = signal_fd()?;
        let engine = Engine::new(cfg, &serves, Instant::now(), seed());
        let mut d = Daemon {
            cfg_path: cfg_path.to_string(),
            log,
            engine,
            client,
            events,
            udp,
            dual,
            status,
            status_path,
            signals,
            devs,
        };
        d.flush_stale();
        Ok(d)
    }

    /// Logs to syslog from now on (lispd detached from its terminal).
    pub fn use_syslog(&mut self, level: Level) {
        self.log = Log::new(level, true);
    }

    /// Removes entries an earlier lispd learned and left behind (it was killed).
    fn flush_stale(&mut self) {
        for d in &self.devs {
            let Ok(entries) = self.client.map_dump(&d.name, None) else {
                continue;
            };
            let mut n = 0;
            for e in entries.iter().filter(|e| e.origin == Some(Origin::Lispd)) {
                if let (Some(p), Some(iid)) = (e.prefix, e.iid) {
                    if self.client.map_del(&d.name, iid, &p).unwrap_or(false) {
                        n += 1;
                    }
                }
            }
            if n > 0 {
                self.log.write(
                    Level::Info,
                    &format!("{}: removed {n} entries left by an earlier lispd", d.name),
                );
            }
        }
    }

    fn apply(&mut self, mut out: Vec<Output>) {
        while !out.is_empty() {
            let mut more = Vec::new();
            for o in out {
                match o {
                    Output::Send { to, bytes } => {
                        let to = match (to, self.dual) {
                            (SocketAddr::V4(a), true) => {
                                SocketAddr::new(IpAddr::V6(a.ip().to_ipv6_mapped()), a.port())
                            }
                            (a, _) => a,
                        };
                        if let Err(e) = self.udp.send_to(&bytes, to) {
                            self.log.write(Level::Debug, &format!("send to {to}: {e}"));
                        }
                    }
                    Output::Install(i) => match self.client.map_replace(&i.dev, &entry_of(&i)) {
                        Ok(()) => self.engine.installed(),
                        Err(e) => {
                            let full = matches!(&e, Error::Kernel(k) if k.errno == libc::ENOSPC);
                            let why = e.to_string();
                            self.engine
                                .install_failed(&i.dev, i.key, full, &why, &mut more);
                        }
                    },
                    Output::Remove { dev, key } => {
                        if let Err(e) = self.client.map_del(&dev, key.iid, &prefix_of(&key)) {
                            self.log.write(
                                Level::Warn,
                                &format!("{dev}: cannot remove {}/{}: {e}", key.addr, key.plen),
                            );
                        }
                    }
                    Output::CheckUsed { dev, key } => {
                        let used = match self.client.map_get(&dev, key.iid, &prefix_of(&key)) {
                            Ok(Some(e)) => Some(e.used.unwrap_or(true)),
                            _ => None,
                        };
                        self.engine.used(Instant::now(), &dev, key, used, &mut more);
                    }
                    Output::Log(level, msg) => self.log.write(level, &msg),
                }
            }
            out = more;
        }
    }

    fn on_udp(&mut self) {
        let mut buf = [0u8; 9216];
        loop {
            match self.udp.recv_from(&mut buf) {
                Ok((n, from)) => {
                    let from = SocketAddr::new(from.ip().to_canonical(), from.port());
                    let mut out = Vec::new();
                    self.engine
                        .on_datagram(Instant::now(), from, &buf[..n], &mut out);
                    self.apply(out);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                // ICMP errors of earlier sends surface here (ECONNREFUSED): nothing to do.
                Err(_) => continue,
            }
        }
    }

    fn on_events(&mut self) {
        loop {
            match self.events.try_next() {
                Ok(None) => return,
                Ok(Some(Event::Miss(m))) => {
                    let (Some(ifindex), Some(iid), Some(eid)) = (m.ifindex, m.iid, m.eid) else {
                        continue;
                    };
                    let Some(dev) = self.devs.iter().find(|d| d.ifindex == ifindex) else {
                        continue;
                    };
                    let dev = dev.name.clone();
                    let mut out = Vec::new();
                    self.engine
                        .on_miss(Instant::now(), &dev, iid, eid, &mut out);
                    self.apply(out);
                }
                Ok(Some(Event::Overrun)) => {
                    self.log
                        .write(Level::Warn, "events socket overrun: some misses were lost");
                }
                Ok(Some(_)) => {}
                Err(e) => {
                    self.log.write(Level::Error, &format!("events socket: {e}"));
                    return;
                }
            }
        }
    }

    fn on_status(&mut self) {
        while let Ok((mut s, _)) = self.status.accept() {
            let _ = s.set_nonblocking(false);
            let _ = s.set_write_timeout(Some(std::time::Duration::from_secs(2)));
            let mut v = self.engine.status(Instant::now());
            v["config"] = serde_json::Value::String(self.cfg_path.clone());
            v["pid"] = serde_json::Value::from(std::process::id());
            let _ = writeln!(s, "{v}");
        }
    }

    fn reload(&mut self) {
        let cfg = match Config::load(&self.cfg_path) {
            Ok(c) => c,
            Err(e) => {
                self.log.write(
                    Level::Error,
                    &format!("reload failed, keeping the old configuration: {e}"),
                );
                return;
            }
        };
        if cfg.status_socket != self.status_path {
            self.log
                .write(Level::Warn, "status-socket changes take effect at restart");
        }
        let (devs, serves) = match resolve_devices(&mut self.client, &cfg) {
            Ok(x) => x,
            Err(e) => {
                self.log.write(
                    Level::Error,
                    &format!("reload failed, keeping the old configuration: {e}"),
                );
                return;
            }
        };
        self.log.set_level(cfg.log_level);
        self.devs = devs;
        let mut out = Vec::new();
        self.engine.reload(cfg, &serves, Instant::now(), &mut out);
        self.apply(out);
    }

    /// Runs until SIGTERM or SIGINT; then removes what it learned.
    pub fn run(&mut self) -> Result<(), String> {
        self.log.write(
            Level::Info,
            &format!(
                "started: {} mapping(s), {} map-server(s), {} map-resolver(s), {} device(s)",
                self.engine.config().mappings.len(),
                self.engine.config().map_servers.len(),
                self.engine.config().map_resolvers.len(),
                self.devs.len()
            ),
        );
        loop {
            let now = Instant::now();
            let mut out = Vec::new();
            self.engine.tick(now, &mut out);
            self.apply(out);
            let wait = self
                .engine
                .next_wakeup(Instant::now())
                .saturating_duration_since(Instant::now());
            let mut fds = [
                libc::pollfd {
                    fd: self.udp.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
                libc::pollfd {
                    fd: self.events.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
                libc::pollfd {
                    fd: self.status.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
                libc::pollfd {
                    fd: self.signals.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
            ];
            let ms = wait.as_millis().clamp(1, 1000) as i32;
            // SAFETY: `fds` is a valid array of `fds.len()` pollfd structures.
            let r = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
            if r < 0 {
                continue;
            }
            if fds[0].revents != 0 {
                self.on_udp();
            }
            if fds[1].revents != 0 {
                self.on_events();
            }
            if fds[2].revents != 0 {
                self.on_status();
            }
            if fds[3].revents != 0 {
                while let Some(sig) = read_signal(self.signals.as_raw_fd()) {
                    if sig == libc::SIGHUP {
                        self.log
                            .write(Level::Info, "SIGHUP: reloading the configuration");
                        self.reload();
                    } else {
                        self.log
                            .write(Level::Info, "exiting: removing learned entries");
                        let mut out = Vec::new();
                        self.engine.shutdown(&mut out);
                        self.apply(out);
                        let _ = std::fs::remove_file(&self.status_path);
                        return Ok(());
                    }
                }
            }
        }
    }
}
