// SPDX-License-Identifier: GPL-2.0

//! lispd: the LISP xTR control plane (RFC 9301) for lisp tunnel devices. It registers this
//! site's EID prefixes with Map-Servers, answers Map-Requests and RLOC-probes for them, and
//! resolves the destinations the kernel misses through Map-Resolvers, installing the answers
//! into the devices' map-caches over the "lisp" generic-netlink family.
//!
//! Layout: `config` (the TOML file), `engine` (the protocol state machine, no I/O), `io`
//! (sockets, netlink, signals, the poll loop), `log`, `status` (the status query client).

mod io;
mod log;
mod status;

use lispd::config::{Config, Level, DEFAULT_PATH};

const USAGE: &str = "\
Usage: lispd [-c FILE] [-f | --foreground] [-d | --debug]   run the daemon
       lispd [-c FILE] -t | --check                       check the configuration and exit
       lispd status [-c FILE | -s SOCKET] [-j | --json]   show registrations, requests, counters
       lispd -h | --help | -V | --version
FILE defaults to /etc/lisp/lispd.toml; see lispd(8).
";

struct Opts {
    config: String,
    foreground: bool,
    debug: bool,
    check: bool,
    status: bool,
    socket: Option<String>,
    json: bool,
}

fn parse(args: &[String]) -> Result<Option<Opts>, String> {
    let mut o = Opts {
        config: DEFAULT_PATH.into(),
        foreground: false,
        debug: false,
        check: false,
        status: false,
        socket: None,
        json: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-c" | "--config" => o.config = it.next().ok_or("-c needs a file")?.clone(),
            "-f" | "--foreground" => o.foreground = true,
            "-d" | "--debug" => o.debug = true,
            "-t" | "--check" => o.check = true,
            "-s" | "--socket" => {
                o.socket = Some(it.next().ok_or("-s needs a socket path")?.clone())
            }
            "-j" | "--json" => o.json = true,
            "status" if !o.status => o.status = true,
            "-h" | "--help" | "help" => {
                print!("{USAGE}");
                return Ok(None);
            }
            "-V" | "--version" => {
                println!("lispd {}", env!("CARGO_PKG_VERSION"));
                return Ok(None);
            }
            other => return Err(format!("unknown argument \"{other}\"")),
        }
    }
    if (o.socket.is_some() || o.json) && !o.status {
        return Err("-s and -j go with \"status\"".into());
    }
    Ok(Some(o))
}

/// Detaches from the terminal: fork, new session, standard streams to /dev/null.
fn daemonize() -> Result<(), String> {
    // SAFETY: lispd is single-threaded here (nothing spawned threads yet), so fork is safe;
    // the parent exits at once without running destructors that could touch shared state.
    unsafe {
        match libc::fork() {
            -1 => return Err(format!("fork: {}", std::io::Error::last_os_error())),
            0 => {}
            _ => libc::_exit(0),
        }
        if libc::setsid() < 0 {
            return Err("setsid failed".into());
        }
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if null >= 0 {
            libc::dup2(null, 0);
            libc::dup2(null, 1);
            libc::dup2(null, 2);
            if null > 2 {
                libc::close(null);
            }
        }
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let o = match parse(&args) {
        Ok(Some(o)) => o,
        Ok(None) => return,
        Err(e) => {
            eprintln!("lispd: {e}\n{USAGE}");
            std::process::exit(1);
        }
    };
    if o.status {
        std::process::exit(status::run(&o.config, o.socket.as_deref(), o.json));
    }
    let cfg = match Config::load(&o.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("lispd: {e}");
            std::process::exit(1);
        }
    };
    if o.check {
        println!(
            "{}: ok ({} mapping(s), {} map-server(s), {} map-resolver(s), {} device(s))",
            o.config,
            cfg.mappings.len(),
            cfg.map_servers.len(),
            cfg.map_resolvers.len(),
            cfg.devices.len()
        );
        return;
    }
    let level = if o.debug { Level::Debug } else { cfg.log_level };
    let mut cfg = cfg;
    cfg.log_level = level;
    // Open everything before detaching, so that errors reach the terminal and the exit code.
    let mut d = match io::Daemon::new(&o.config, cfg, log::Log::new(level, false)) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("lispd: {e}");
            std::process::exit(1);
        }
    };
    if !o.foreground {
        if let Err(e) = daemonize() {
            eprintln!("lispd: {e}");
            std::process::exit(1);
        }
        d.use_syslog(level);
    }
    if let Err(e) = d.run() {
        eprintln!("lispd: {e}");
        std::process::exit(1);
    }
}
