// SPDX-License-Identifier: GPL-2.0

//! The configuration file (TOML, see lispd(8)): read, checked and turned into the types the
//! engine works with. Every error names the file's section and the bad value.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use lisp_control::Auth;
use serde::Deserialize;

/// The default configuration file.
pub const DEFAULT_PATH: &str = "/etc/lisp/lispd.toml";
/// The default status socket.
pub const DEFAULT_STATUS_SOCKET: &str = "/run/lispd.sock";
/// The LISP control-plane UDP port (RFC 9301).
pub const CONTROL_PORT: u16 = 4342;

/// The file as written, before checks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct File {
    #[serde(default)]
    status_socket: Option<String>,
    #[serde(default)]
    log_level: Option<String>,
    #[serde(default)]
    itr_rlocs: Vec<String>,
    #[serde(default)]
    timers: Timers,
    #[serde(default)]
    device: Vec<FileDevice>,
    #[serde(default)]
    map_server: Vec<FileMapServer>,
    #[serde(default)]
    map_resolver: Vec<FileMapResolver>,
    #[serde(default)]
    database_mapping: Vec<FileMapping>,
}

/// Timers and limits; every field has a default.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Timers {
    /// Seconds between periodic Map-Registers (RFC 9301: one minute).
    pub register_interval: u64,
    /// Seconds before a Map-Register without Map-Notify is sent again (doubling each time).
    pub register_retry: f64,
    /// Map-Registers sent again per interval while no Map-Notify comes.
    pub register_retries: u32,
    /// Seconds before an unanswered Map-Request is sent again (doubling each time).
    pub request_timeout: f64,
    /// Map-Requests sent again before a resolution is given up.
    pub request_retries: u32,
    /// Least seconds between two resolutions of one destination (RFC 9301: one second).
    pub request_interval: f64,
    /// Map-Requests sent per second at most, over all destinations.
    pub request_rate: u32,
    /// Longest time to live, in seconds, given to a learned map-cache entry (the record's TTL
    /// is minutes and may be a day or more).
    pub max_ttl: u32,
    /// Most learned map-cache entries; further Map-Replies are counted and not installed.
    pub max_learned: usize,
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            register_interval: 60,
            register_retry: 1.0,
            register_retries: 3,
            request_timeout: 1.0,
            request_retries: 3,
            request_interval: 1.0,
            request_rate: 1000,
            max_ttl: 86400,
            max_learned: 1_000_000,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileDevice {
    name: String,
    #[serde(default)]
    instance_ids: Vec<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileMapServer {
    address: String,
    key: String,
    #[serde(default)]
    key_type: Option<String>,
    #[serde(default)]
    proxy_reply: bool,
    #[serde(default = "default_true")]
    withdraw: bool,
}

fn default_true() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileMapResolver {
    address: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileMapping {
    #[serde(default)]
    iid: u32,
    eid_prefix: String,
    #[serde(default)]
    ttl: Option<u32>,
    #[serde(default)]
    rloc: Vec<FileRloc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileRloc {
    address: String,
    #[serde(default = "default_priority")]
    priority: u8,
    #[serde(default = "default_weight")]
    weight: u8,
}

fn default_priority() -> u8 {
    1
}

fn default_weight() -> u8 {
    100
}

/// A lisp device lispd installs learned mappings into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    /// The interface name.
    pub name: String,
    /// Instance IDs it serves; empty: its own (default) instance ID, learned at start.
    pub instance_ids: Vec<u32>,
}

/// A Map-Server to register with. Its key is kept out of `Debug` and every log line.
#[derive(Clone, PartialEq, Eq)]
pub struct MapServer {
    /// Where Map-Registers go (UDP 4342).
    pub address: SocketAddr,
    /// The shared key.
    pub key: Vec<u8>,
    /// The authentication algorithm.
    pub auth: Auth,
    /// Ask the Map-Server to answer Map-Requests for us (P bit).
    pub proxy_reply: bool,
    /// Withdraw removed prefixes with TTL-0 records (RFC 9301); Open Overlay Router 1.3 takes
    /// them as registrations instead.
    pub withdraw: bool,
}

impl fmt::Debug for MapServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapServer")
            .field("address", &self.address)
            .field("key", &"<redacted>")
            .field("auth", &self.auth)
            .field("proxy_reply", &self.proxy_reply)
            .field("withdraw", &self.withdraw)
            .finish()
    }
}

/// A locator of a local mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rloc {
    /// The address.
    pub addr: IpAddr,
    /// Priority, lower preferred; 255: do not use.
    pub priority: u8,
    /// Weight among equal priorities, 0..=100.
    pub weight: u8,
}

/// An EID prefix of this site, with its locators.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// Instance ID.
    pub iid: u32,
    /// The prefix's address, host bits zero.
    pub addr: IpAddr,
    /// The prefix length.
    pub plen: u8,
    /// Record TTL in minutes, as sent in Map-Registers and Map-Replies.
    pub ttl: u32,
    /// The locators, at least one.
    pub rlocs: Vec<Rloc>,
}

impl Mapping {
    /// Whether this mapping's prefix covers `addr`/`plen` in `iid`.
    pub fn covers(&self, iid: u32, addr: &IpAddr, plen: u8) -> bool {
        self.iid == iid && plen >= self.plen && prefix_matches(&self.addr, addr, self.plen)
    }
}

/// Whether the first `plen` bits of `a` and `b` agree (and both are of one family).
pub fn prefix_matches(a: &IpAddr, b: &IpAddr, plen: u8) -> bool {
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let m = u32::MAX
                .checked_shl(32 - u32::from(plen.min(32)))
                .unwrap_or(0);
            u32::from(*a) & m == u32::from(*b) & m
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let m = u128::MAX
                .checked_shl(128 - u32::from(plen.min(128)))
                .unwrap_or(0);
            u128::from(*a) & m == u128::from(*b) & m
        }
        _ => false,
    }
}

/// The checked configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The Unix socket `lispd status` reads.
    pub status_socket: String,
    /// Most verbose level logged.
    pub log_level: Level,
    /// The addresses put in Map-Requests for replies to come back to.
    pub itr_rlocs: Vec<IpAddr>,
    /// Timers and limits.
    pub timers: Timers,
    /// The devices learned mappings go into.
    pub devices: Vec<Device>,
    /// Map-Servers.
    pub map_servers: Vec<MapServer>,
    /// Map-Resolvers (Encapsulated Map-Requests go to the first that answers).
    pub map_resolvers: Vec<SocketAddr>,
    /// This site's mappings.
    pub mappings: Vec<Mapping>,
}

/// Log levels, most severe first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Something does not work.
    Error,
    /// Something is off and may stop working.
    Warn,
    /// State changes (registrations confirmed, reloads).
    Info,
    /// Every message.
    Debug,
}

impl Level {
    /// The level named `s`.
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s {
            "error" => Level::Error,
            "warn" | "warning" => Level::Warn,
            "info" => Level::Info,
            "debug" => Level::Debug,
            _ => return None,
        })
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warning",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }
}

/// Parses an address with an optional port (`10.0.0.1`, `[2001:db8::1]:4342`, `2001:db8::1`).
fn parse_server(s: &str) -> Option<SocketAddr> {
    if let Ok(a) = s.parse::<IpAddr>() {
        return Some(SocketAddr::new(a, CONTROL_PORT));
    }
    s.parse::<SocketAddr>().ok()
}

/// Parses `ADDR/LEN` with host bits zero.
pub fn parse_prefix(s: &str) -> Result<(IpAddr, u8), String> {
    let bad = || format!("invalid EID prefix \"{s}\"");
    let (a, l) = s.split_once('/').ok_or_else(bad)?;
    let addr: IpAddr = a.parse().map_err(|_| bad())?;
    let plen: u8 = l.parse().map_err(|_| bad())?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if plen > max {
        return Err(bad());
    }
    if masked(&addr, plen) != addr {
        return Err(format!("EID prefix \"{s}\" has host bits set"));
    }
    Ok((addr, plen))
}

/// `addr` with the bits beyond `plen` cleared.
pub fn masked(addr: &IpAddr, plen: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let m = u32::MAX
                .checked_shl(32 - u32::from(plen.min(32)))
                .unwrap_or(0);
            IpAddr::V4((u32::from(*a) & m).into())
        }
        IpAddr::V6(a) => {
            let m = u128::MAX
                .checked_shl(128 - u32::from(plen.min(128)))
                .unwrap_or(0);
            IpAddr::V6((u128::from(*a) & m).into())
        }
    }
}

fn parse_auth(s: Option<&str>) -> Result<Auth, String> {
    Ok(match s.unwrap_or("hmac-sha-1-96") {
        "hmac-sha-1-96" | "sha1" | "1" => Auth::HmacSha1,
        "hmac-sha-256-128" | "sha256" | "2" => Auth::HmacSha256,
        other => {
            return Err(format!(
                "[[map-server]]: unknown key-type \"{other}\" (hmac-sha-1-96 or hmac-sha-256-128)"
            ))
        }
    })
}

impl Config {
    /// Parses and checks the text of a configuration file.
    pub fn parse(text: &str) -> Result<Config, String> {
        let f: File = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
        let log_level = match &f.log_level {
            None => Level::Info,
            Some(s) => Level::parse(s)
                .ok_or_else(|| format!("unknown log-level \"{s}\" (error, warn, info, debug)"))?,
        };
        let mut devices = Vec::new();
        for d in f.device {
            if d.name.is_empty() || d.name.len() > 15 {
                return Err(format!("[[device]]: invalid interface name \"{}\"", d.name));
            }
            if let Some(i) = d
                .instance_ids
                .iter()
                .find(|&&i| i > lisp_uapi::LISP_IID_MAX)
            {
                return Err(format!(
                    "[[device]] {}: instance ID {i} is over 16777215",
                    d.name
                ));
            }
            devices.push(Device {
                name: d.name,
                instance_ids: d.instance_ids,
            });
        }
        let mut map_servers = Vec::new();
        for m in f.map_server {
            let address = parse_server(&m.address)
                .ok_or_else(|| format!("[[map-server]]: invalid address \"{}\"", m.address))?;
            if m.key.is_empty() {
                return Err(format!("[[map-server]] {}: empty key", m.address));
            }
            map_servers.push(MapServer {
                address,
                key: m.key.into_bytes(),
                auth: parse_auth(m.key_type.as_deref())?,
                proxy_reply: m.proxy_reply,
                withdraw: m.withdraw,
            });
        }
        let mut map_resolvers = Vec::new();
        for m in f.map_resolver {
            map_resolvers.push(
                parse_server(&m.address).ok_or_else(|| {
                    format!("[[map-resolver]]: invalid address \"{}\"", m.address)
                })?,
            );
        }
        let mut mappings: Vec<Mapping> = Vec::new();
        for m in f.database_mapping {
            if m.iid > lisp_uapi::LISP_IID_MAX {
                return Err(format!(
                    "[[database-mapping]] {}: instance ID {} is over 16777215",
                    m.eid_prefix, m.iid
                ));
            }
            let (addr, plen) =
                parse_prefix(&m.eid_prefix).map_err(|e| format!("[[database-mapping]]: {e}"))?;
            if m.rloc.is_empty() {
                return Err(format!(
                    "[[database-mapping]] {}: no [[database-mapping.rloc]]",
                    m.eid_prefix
                ));
            }
            let mut rlocs = Vec::new();
            for r in m.rloc {
                let a: IpAddr = r.address.parse().map_err(|_| {
                    format!(
                        "[[database-mapping]] {}: invalid RLOC address \"{}\"",
                        m.eid_prefix, r.address
                    )
                })?;
                if r.weight > lisp_uapi::LISP_WEIGHT_MAX {
                    return Err(format!(
                        "[[database-mapping]] {}: weight {} is over 100",
                        m.eid_prefix, r.weight
                    ));
                }
                rlocs.push(Rloc {
                    addr: a,
                    priority: r.priority,
                    weight: r.weight,
                });
            }
            if rlocs.len() > lisp_uapi::LISP_MAX_RLOCS {
                return Err(format!(
                    "[[database-mapping]] {}: more than 8 RLOCs",
                    m.eid_prefix
                ));
            }
            let mapping = Mapping {
                iid: m.iid,
                addr,
                plen,
                ttl: m.ttl.unwrap_or(1440),
                rlocs,
            };
            if mappings
                .iter()
                .any(|o| o.iid == mapping.iid && o.addr == mapping.addr && o.plen == mapping.plen)
            {
                return Err(format!(
                    "[[database-mapping]] {}: listed twice in instance ID {}",
                    m.eid_prefix, m.iid
                ));
            }
            mappings.push(mapping);
        }
        let mut itr_rlocs = Vec::new();
        for s in &f.itr_rlocs {
            itr_rlocs.push(
                s.parse::<IpAddr>()
                    .map_err(|_| format!("itr-rlocs: invalid address \"{s}\""))?,
            );
        }
        if itr_rlocs.is_empty() {
            // The locators of this site's mappings, in order, each once.
            for r in mappings.iter().flat_map(|m| m.rlocs.iter()) {
                if !itr_rlocs.contains(&r.addr) {
                    itr_rlocs.push(r.addr);
                }
            }
        }
        if !map_resolvers.is_empty() && itr_rlocs.is_empty() {
            return Err(
                "map-resolvers are set but there is no itr-rlocs and no database-mapping RLOC \
                        for Map-Replies to come back to"
                    .into(),
            );
        }
        if !mappings.is_empty() && devices.is_empty() && !map_resolvers.is_empty() {
            return Err("map-resolvers are set but no [[device]] to install mappings into".into());
        }
        let t = &f.timers;
        if t.register_interval == 0 || t.request_timeout <= 0.0 || t.register_retry <= 0.0 {
            return Err("[timers]: intervals must be positive".into());
        }
        if t.max_ttl == 0 {
            return Err("[timers]: max-ttl must be positive".into());
        }
        Ok(Config {
            status_socket: f
                .status_socket
                .unwrap_or_else(|| DEFAULT_STATUS_SOCKET.into()),
            log_level,
            itr_rlocs,
            timers: f.timers,
            devices,
            map_servers,
            map_resolvers,
            mappings,
        })
    }

    /// Reads and checks a configuration file.
    pub fn load(path: &str) -> Result<Config, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        Config::parse(&text).map_err(|e| format!("{path}: {e}"))
    }

    /// The register interval.
    pub fn register_interval(&self) -> Duration {
        Duration::from_secs(self.timers.register_interval)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
status-socket = "/tmp/lispd.sock"
log-level = "debug"

[timers]
register-interval = 30
max-ttl = 20

[[device]]
name = "lisp0"
instance-ids = [7]

[[map-server]]
address = "10.0.0.254"
key = "secret"
key-type = "hmac-sha-1-96"

[[map-resolver]]
address = "10.0.0.254"

[[database-mapping]]
iid = 7
eid-prefix = "192.168.1.0/24"
[[database-mapping.rloc]]
address = "10.0.0.1"
priority = 1
weight = 100
"#;

    #[test]
    fn good() {
        let c = Config::parse(GOOD).unwrap();
        assert_eq!(c.status_socket, "/tmp/lispd.sock");
        assert_eq!(c.timers.register_interval, 30);
        assert_eq!(c.timers.request_retries, 3);
        assert_eq!(c.map_servers[0].auth, Auth::HmacSha1);
        assert_eq!(c.map_servers[0].address, "10.0.0.254:4342".parse().unwrap());
        assert_eq!(c.mappings[0].plen, 24);
        assert_eq!(c.mappings[0].ttl, 1440);
        assert_eq!(c.itr_rlocs, vec!["10.0.0.1".parse::<IpAddr>().unwrap()]);
    }

    #[test]
    fn key_is_redacted() {
        let c = Config::parse(GOOD).unwrap();
        let d = format!("{c:?}");
        assert!(!d.contains("secret"), "{d}");
        assert!(d.contains("<redacted>"));
    }

    #[test]
    fn errors_name_the_value() {
        let cases = [
            (
                "[[map-resolver]]\naddress = \"10.0.0\"\n",
                "invalid address \"10.0.0\"",
            ),
            (
                "[[database-mapping]]\neid-prefix = \"10.1.0.1/24\"\n",
                "host bits set",
            ),
            (
                "[[database-mapping]]\neid-prefix = \"10.1.0.0/33\"\n",
                "invalid EID prefix \"10.1.0.0/33\"",
            ),
            (
                "[[database-mapping]]\neid-prefix = \"10.1.0.0/24\"\n",
                "no [[database-mapping.rloc]]",
            ),
            (
                "[[map-server]]\naddress = \"10.0.0.1\"\nkey = \"k\"\nkey-type = \"md5\"\n",
                "unknown key-type \"md5\"",
            ),
            ("bogus = 1\n", "unknown field"),
            ("log-level = \"loud\"\n", "unknown log-level \"loud\""),
            (
                "[[device]]\nname = \"lisp0\"\ninstance-ids = [16777216]\n",
                "over 16777215",
            ),
        ];
        for (text, want) in cases {
            let e = Config::parse(text).unwrap_err();
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn covers() {
        let c = Config::parse(GOOD).unwrap();
        let m = &c.mappings[0];
        assert!(m.covers(7, &"192.168.1.9".parse().unwrap(), 32));
        assert!(!m.covers(0, &"192.168.1.9".parse().unwrap(), 32));
        assert!(!m.covers(7, &"192.168.2.9".parse().unwrap(), 32));
        assert!(!m.covers(7, &"192.168.0.0".parse().unwrap(), 16));
        assert!(!m.covers(7, &"::1".parse().unwrap(), 128));
    }
}
