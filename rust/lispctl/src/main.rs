// SPDX-License-Identifier: GPL-2.0

//! lispctl: configure lisp (RFC 9300) tunnel devices — links, the map-cache, counters and events
//! — over rtnetlink and the "lisp" generic-netlink family.
//!
//! Layout: `args` (grammar), `print` (text/JSON printer), `exec` (commands and batches over a
//! transport), and here options, batch files and exit codes; the objects, the netlink bytes and
//! the socket come from the `lisp-client` crate (`model`, `wire`, `nl`, `error`).

mod args;
mod exec;
mod print;

use lisp_client::{error, model, nl, wire};

use std::io::{self, BufWriter, Read, Write};

use args::{Invocation, HELP};
use error::Error;
use exec::{is_broken_pipe, mode, Ctx, Opener};
use nl::{NlConn, Transport};
use print::Printer;

/// Exit code of usage errors (bad command line, bad batch line, unreadable batch file).
const EXIT_USAGE: i32 = 1;
/// Exit code of everything that went wrong past the command line: kernel errors, netlink I/O.
const EXIT_KERNEL: i32 = 2;

/// The exit code of an error.
fn exit_code(e: &Error) -> i32 {
    match e {
        Error::Usage(_) => EXIT_USAGE,
        Error::Kernel(_) | Error::Other(_) => EXIT_KERNEL,
        Error::Closed => 0,
    }
}

fn read_batch(file: &str) -> Result<String, String> {
    let mut text = String::new();
    let r = if file == "-" {
        io::stdin().read_to_string(&mut text)
    } else {
        std::fs::File::open(file).and_then(|mut f| f.read_to_string(&mut text))
    };
    r.map_err(|e| format!("cannot read \"{file}\": {}", error::errno_text_of(&e)))?;
    Ok(text)
}

/// For tests of allocation failures: with `LISPCTL_FAIL_NTH=N` in the environment, lispctl
/// writes N to its `/proc/thread-self/fail-nth` (kernel fault injection) just before it opens
/// its first netlink socket, so that the Nth allocation the kernel makes for it from there on
/// fails: the socket's, the requests', the module's, but not those of its own exec.
///
/// Before arming, lispctl locks its pages in memory: a page fault on its text or libraries
/// after arming would read them from the root filesystem, and in the test VM that is 9p, whose
/// client does not recover from an injected failure (every later exec in the VM fails). When
/// the command is done, lispctl disarms, so a count beyond its requests fails nothing else.
const FAIL_NTH_ENV: &str = "LISPCTL_FAIL_NTH";
const FAIL_NTH_FILE: &str = "/proc/thread-self/fail-nth";

/// For tests under a memory limit: with `LISPCTL_MLOCK` set (to anything), lispctl locks its
/// pages in memory just before it opens its first netlink socket. In a memory cgroup at its
/// limit, reclaim would otherwise evict lispctl's text, and the page fault that reads it back
/// can neither be charged nor find an OOM victim: it is retried forever, where the test wants
/// the module's ENOMEM.
const MLOCK_ENV: &str = "LISPCTL_MLOCK";

fn lock_pages(why: &str) -> Result<(), Error> {
    // SAFETY: mlockall takes no pointers; it only changes how this process's pages are held.
    if unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE) } != 0 {
        return Err(Error::Other(format!(
            "{why}: cannot lock its pages in memory: {}",
            error::errno_text_of(&io::Error::last_os_error())
        )));
    }
    Ok(())
}

fn arm_fail_nth(n: &str) -> Result<(), Error> {
    lock_pages(FAIL_NTH_ENV)?;
    std::fs::write(FAIL_NTH_FILE, n).map_err(|e| {
        Error::Other(format!(
            "{FAIL_NTH_ENV}: cannot write {FAIL_NTH_FILE}: {}",
            error::errno_text_of(&e)
        ))
    })
}

/// Disarms what `arm_fail_nth` armed. If the failure is still pending, opening the file may be
/// what it hits, and then it is spent: either way nothing is left armed, so errors are ignored.
fn disarm_fail_nth() {
    let _ = std::fs::write(FAIL_NTH_FILE, "0");
}

fn run(argv: &[String]) -> i32 {
    let armed = std::env::var(FAIL_NTH_ENV).ok();
    let mut fail_nth = armed.clone();
    let mut mlock = std::env::var_os(MLOCK_ENV).is_some();
    let code = run_with(
        argv,
        Box::new(move |proto| {
            if std::mem::take(&mut mlock) {
                lock_pages(MLOCK_ENV)?;
            }
            if let Some(n) = fail_nth.take() {
                arm_fail_nth(&n)?;
            }
            Ok(Box::new(NlConn::open(proto)?) as Box<dyn Transport>)
        }),
    );
    if armed.is_some() {
        disarm_fail_nth();
    }
    code
}

/// `run` over the transports `open` makes (the real sockets, or a fake kernel in tests).
fn run_with(argv: &[String], open: Opener) -> i32 {
    let (opts, inv) = match args::parse_invocation(argv) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("lispctl: {e}");
            return EXIT_USAGE;
        }
    };
    if inv == Invocation::Usage {
        eprintln!("{HELP}Try \"lispctl help\" for the commands.");
        return EXIT_USAGE;
    }
    let batch = match &inv {
        Invocation::Batch(file) => match read_batch(file) {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("lispctl: {e}");
                return EXIT_USAGE;
            }
        },
        _ => None,
    };

    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut ctx = Ctx::new(Printer::new(&mut out, mode(opts.json, opts.pretty)), open);

    let result = match (inv, batch) {
        (Invocation::Run(cmd), _) => ctx.run(cmd).map_err(|e| (None, e, String::new())),
        (_, Some(text)) => ctx
            .run_batch(&text)
            .map_err(|b| (Some(b.location), b.cause, b.note)),
        _ => unreachable!("usage handled above"),
    };
    // Output comes before the error: a batch prints what it did before it failed.
    let flushed = ctx.flush();
    drop(ctx);
    let flushed = flushed.and_then(|_| out.flush());
    let code = match result {
        Ok(()) => 0,
        Err((_, Error::Closed, _)) => 0,
        Err((location, e, note)) => {
            match location {
                Some(l) => eprintln!("lispctl: {l}: {e}"),
                None => eprintln!("lispctl: {e}"),
            }
            if !note.is_empty() {
                eprintln!("lispctl: {note}");
            }
            exit_code(&e)
        }
    };
    match flushed {
        Err(e) if !is_broken_pipe(&e) => {
            eprintln!("lispctl: output: {e}");
            code.max(EXIT_KERNEL)
        }
        _ => code,
    }
}

fn main() {
    let argv: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    std::process::exit(run(&argv));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        assert_eq!(exit_code(&Error::Usage("x".into())), 1);
        assert_eq!(exit_code(&Error::Other("x".into())), 2);
        assert_eq!(exit_code(&Error::Closed), 0);
    }

    #[test]
    fn usage_errors_send_nothing() {
        for line in [
            "link add lisp0 port 0",
            "link add lisp0 iid 16777216",
            "link add lisp0 ttl 300",
            "link add lisp0 ttl 1 ttl 2",
            "link set lisp0 port 4341",
            "link set lisp0",
        ] {
            let argv: Vec<String> = line.split(' ').map(String::from).collect();
            let open: Opener = Box::new(|_| panic!("nothing may be sent: {line}"));
            assert_eq!(run_with(&argv, open), EXIT_USAGE, "{line}");
        }
    }

    /// `LISPCTL_BENCH_FILE=FILE cargo test --release -p lispctl bench_batch_file -- --ignored
    /// --nocapture`: `lispctl -batch FILE` end to end (reading, checking, packing) against a fake
    /// kernel that only acks.
    #[test]
    #[ignore]
    fn bench_batch_file() {
        let Ok(file) = std::env::var("LISPCTL_BENCH_FILE") else {
            eprintln!("skipped: LISPCTL_BENCH_FILE not set");
            return;
        };
        let lines = std::fs::read(&file)
            .unwrap()
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        let (open, sent) = exec::tests::acking_opener();
        let t = std::time::Instant::now();
        let code = run_with(&["-batch".to_string(), file], open);
        let el = t.elapsed();
        assert_eq!(code, 0);
        let (requests, bytes) = sent.borrow().count;
        eprintln!(
            "{lines} lines: {el:?}, {:.1} ns/line, {requests} requests, {bytes} bytes",
            el.as_nanos() as f64 / lines.max(1) as f64,
        );
    }
}
