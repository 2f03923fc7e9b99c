// SPDX-License-Identifier: GPL-2.0

//! Scale figures of the engine alone (no kernel, no network): N distinct misses resolved and
//! answered, the rate, and the resident memory it took to hold N learned entries.
//!
//!   cargo run --release -p lispd --example scale [N]     (default 100000)

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Instant;

use lisp_control::{Action, Eid, Locator, MapReply, Message, Record};
use lispd::config::Config;
use lispd::engine::{Engine, Output};

const CFG: &str = r#"
log-level = "warn"
[timers]
request-rate = 100000000
[[device]]
name = "lisp0"
instance-ids = [7]
[[map-resolver]]
address = "10.0.0.254"
itr-rlocs = []
[[database-mapping]]
iid = 7
eid-prefix = "172.16.1.0/24"
[[database-mapping.rloc]]
address = "10.0.0.1"
"#;

fn rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let cfg = Config::parse(&CFG.replace("itr-rlocs = []\n", "")).expect("config");
    let t0 = Instant::now();
    let mut e = Engine::new(cfg, &vec![("lisp0".into(), vec![7])], t0, 1);
    let before = rss_kib();
    let from: SocketAddr = "10.0.0.2:4342".parse().unwrap();
    let start = Instant::now();
    let mut installed = 0u32;
    for i in 0..n {
        let eid = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i));
        let mut out = Vec::new();
        e.on_miss(Instant::now(), "lisp0", 7, eid, &mut out);
        for o in out {
            let Output::Send { bytes, .. } = o else {
                continue;
            };
            let Ok(Message::Encap(ecm)) = Message::decode(&bytes) else {
                panic!("no ECM")
            };
            let Ok(Message::Request(req)) = Message::decode(&ecm.inner) else {
                panic!("no request")
            };
            let rec = Record {
                ttl: 1440,
                eid: Eid {
                    iid: 7,
                    addr: eid,
                    plen: 32,
                },
                action: Action::NoAction,
                authoritative: true,
                version: 0,
                locators: vec![Locator {
                    addr: "10.0.0.2".parse().unwrap(),
                    priority: 1,
                    weight: 100,
                    mpriority: 255,
                    mweight: 0,
                    local: false,
                    probed: false,
                    reachable: true,
                }],
            };
            let reply = Message::Reply(MapReply {
                nonce: req.nonce,
                probe: false,
                echo_nonce: false,
                security: false,
                records: vec![rec],
            });
            let mut out2 = Vec::new();
            e.on_datagram(Instant::now(), from, &reply.encode(&[]), &mut out2);
            installed += out2
                .iter()
                .filter(|o| matches!(o, Output::Install(_)))
                .count() as u32;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let after = rss_kib();
    let st = e.status(Instant::now());
    println!(
        "{n} misses: {installed} learned entries in {secs:.2} s ({:.0}/s); RSS {before} -> {after} KiB ({:.0} bytes per entry); status learned {}",
        f64::from(n) / secs,
        (after.saturating_sub(before) as f64 * 1024.0) / f64::from(n.max(1)),
        st["learned"]
    );
}
