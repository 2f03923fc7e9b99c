// SPDX-License-Identifier: GPL-2.0

//! `lispd status`: reads the running daemon's state from its status socket and prints it, as
//! text or (`-j`) as the JSON document the daemon sent.

use std::io::Read;
use std::os::unix::net::UnixStream;

use serde_json::Value;

use lispd::config::{Config, DEFAULT_STATUS_SOCKET};

fn counters(v: &Value) -> String {
    match v.as_object() {
        Some(m) if !m.is_empty() => m
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join("  "),
        _ => "(none)".into(),
    }
}

fn secs(v: &Value) -> String {
    v.as_f64()
        .map_or("never".into(), |s| format!("{s:.0}s ago"))
}

/// Prints the status; returns the exit code.
pub fn run(config: &str, socket: Option<&str>, json: bool) -> i32 {
    let path = match socket {
        Some(s) => s.to_string(),
        None => match Config::load(config) {
            Ok(c) => c.status_socket,
            Err(_) if config == lispd::config::DEFAULT_PATH => DEFAULT_STATUS_SOCKET.into(),
            Err(e) => {
                eprintln!("lispd: {e}");
                return 1;
            }
        },
    };
    let mut text = String::new();
    if let Err(e) = UnixStream::connect(&path).and_then(|mut s| s.read_to_string(&mut text)) {
        eprintln!("lispd: cannot read status from {path}: {e} (is lispd running?)");
        return 1;
    }
    let v: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("lispd: bad status from {path}: {e}");
            return 1;
        }
    };
    if json {
        println!("{v}");
        return 0;
    }
    println!(
        "lispd pid {} config {} up {}s",
        v["pid"],
        v["config"].as_str().unwrap_or("?"),
        v["uptime_s"]
    );
    for r in v["registrations"].as_array().into_iter().flatten() {
        println!(
            "map-server {} {}{}: {}, {} record(s), last Map-Register {}, last Map-Notify {}{}",
            r["map_server"].as_str().unwrap_or("?"),
            r["key_type"].as_str().unwrap_or("?"),
            if r["proxy_reply"].as_bool() == Some(true) {
                " proxy-reply"
            } else {
                ""
            },
            r["state"].as_str().unwrap_or("?"),
            r["records"],
            secs(&r["last_register_s"]),
            secs(&r["last_notify_s"]),
            match r["bad_auth"].as_u64() {
                Some(n) if n > 0 => format!(", {n} Map-Notify with bad authentication"),
                _ => String::new(),
            }
        );
    }
    for m in v["map_resolvers"].as_array().into_iter().flatten() {
        println!("map-resolver {}", m.as_str().unwrap_or("?"));
    }
    println!("pending {}", v["pending_count"]);
    for p in v["pending"].as_array().into_iter().flatten() {
        println!(
            "\t{} iid {} ({}) attempts {} age {:.1}s",
            p["eid"].as_str().unwrap_or("?"),
            p["iid"],
            p["reason"].as_str().unwrap_or("?"),
            p["attempts"],
            p["age_s"].as_f64().unwrap_or(0.0)
        );
    }
    let r = &v["resolution"];
    println!(
        "learned {} ({} negative)",
        v["learned"], v["learned_negative"]
    );
    println!(
        "resolutions {}: last {:.1} ms, average {:.1} ms, max {:.1} ms",
        r["count"],
        r["last_ms"].as_f64().unwrap_or(0.0),
        r["avg_ms"].as_f64().unwrap_or(0.0),
        r["max_ms"].as_f64().unwrap_or(0.0)
    );
    println!("sent: {}", counters(&v["sent"]));
    println!("received: {}", counters(&v["received"]));
    println!("dropped: {}", counters(&v["dropped"]));
    println!("events: {}", counters(&v["events"]));
    0
}
