// SPDX-License-Identifier: GPL-2.0

//! The command line grammar, `ip` style: global options, then OBJECT COMMAND and keyword/value
//! pairs. Everything is validated here, before anything is sent, and errors quote the bad token.

use std::collections::HashSet;
use std::net::IpAddr;

use lisp_uapi::*;

use crate::model::{
    parse_ip, parse_ip_bytes, Action, EntryRef, LinkConfig, MapEntry, MapKey, Origin, Prefix, Rloc,
};

/// The whole grammar, printed by `--help` and `lispctl help`.
pub const HELP: &str = "\
Usage: lispctl [ OPTIONS ] OBJECT COMMAND ...
       lispctl [ OPTIONS ] -batch FILE|-
OPTIONS := { -j[son] | -p[retty] | -h[elp] }
OBJECT := { link | map | stats | monitor | help }

";

pub const HELP_LINK: &str = "\
lispctl link add NAME [ mtu MTU ] [ port PORT ] [ local ADDR ] [ iid IID ] [ external ]
                      [ ttl { 1-255 | inherit } ] [ tos { TOS | inherit } ]
                      [ [no]udpcsum ] [ [no]nonce ] [ [no]srccheck ] [ mapmax MAX ]
lispctl link set [ dev ] NAME [ iid IID ] [ ttl { 1-255 | inherit } ] [ tos { TOS | inherit } ]
                      [ [no]udpcsum ] [ [no]nonce ] [ [no]srccheck ] [ mapmax MAX ]
lispctl link del NAME
lispctl link show [ [ dev ] NAME ]
MTU := 68-65479
PORT := 1-65535
IID := 0-16777215
TOS := 0-255 but 1 (decimal or 0xHEX)
MAX := 0-4294967295 (map-cache entries; 0: no limit)
srccheck: accept a received packet only from an RLOC the map-cache lists for its inner
          source EID (anti-spoofing; not in external mode)
";

pub const HELP_MAP: &str = "\
lispctl map { add | replace } EID/LEN [ iid IID ] [ RLOC ]... [ ttl SECONDS ]
                              [ action { drop | forward | notify } ]
                              [ proto { static | lispd | NUMBER } ] dev NAME
lispctl map del EID/LEN [ iid IID ] dev NAME
lispctl map get EID/LEN [ iid IID ] dev NAME
lispctl map get ADDR [ iid IID ] [ hash HASH ] dev NAME
lispctl map show [ iid IID ] dev NAME
lispctl map flush [ iid IID ] dev NAME
RLOC := rloc ADDR [ priority 0-255 ] [ weight 0-100 ] [ down ]
IID := 0-16777215
";

pub const HELP_STATS: &str = "\
lispctl stats [ dev NAME ]
";

pub const HELP_MONITOR: &str = "\
lispctl monitor
";

/// The text `help` prints for a topic (all of it without one).
pub fn help_text(topic: Option<Topic>) -> String {
    match topic {
        None => [HELP, HELP_LINK, HELP_MAP, HELP_STATS, HELP_MONITOR].concat(),
        Some(Topic::Link) => HELP_LINK.to_string(),
        Some(Topic::Map) => HELP_MAP.to_string(),
        Some(Topic::Stats) => HELP_STATS.to_string(),
        Some(Topic::Monitor) => HELP_MONITOR.to_string(),
    }
}

/// The objects, as help topics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topic {
    Link,
    Map,
    Stats,
    Monitor,
}

/// Global options.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Opts {
    pub json: bool,
    pub pretty: bool,
}

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invocation {
    /// Bare `lispctl`: print the usage, fail.
    Usage,
    /// Run the commands of a file (`-` for standard input).
    Batch(String),
    Run(Command),
}

/// One command, as on the command line or a batch line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Help(Option<Topic>),
    LinkAdd {
        name: String,
        mtu: Option<u32>,
        /// IFLA_INFO_DATA: the options given.
        config: LinkConfig,
    },
    /// `link set`: a change of the options given (never port, local address, external mode).
    LinkSet {
        name: String,
        config: LinkConfig,
    },
    LinkDel {
        name: String,
    },
    LinkShow {
        name: Option<String>,
    },
    /// `map add` (replace false: NLM_F_EXCL) or `map replace` (NLM_F_REPLACE).
    MapSet {
        replace: bool,
        dev: String,
        entry: MapEntry,
    },
    MapDel {
        dev: String,
        key: MapKey,
    },
    /// Exact entry.
    MapGet {
        dev: String,
        key: MapKey,
    },
    /// Longest match of one address, and the locator a flow with `hash` would use.
    MapLookup {
        dev: String,
        addr: IpAddr,
        iid: Option<u32>,
        hash: u32,
    },
    MapShow {
        dev: String,
        iid: Option<u32>,
    },
    MapFlush {
        dev: String,
        iid: Option<u32>,
    },
    Stats {
        dev: Option<String>,
    },
    Monitor,
}

/// Parses the arguments after the program name.
pub fn parse_invocation<S: AsRef<str>>(args: &[S]) -> Result<(Opts, Invocation), String> {
    let args: Vec<&str> = args.iter().map(|s| s.as_ref()).collect();
    let mut opts = Opts::default();
    let mut batch = None;
    let mut i = 0;
    while i < args.len() && args[i].starts_with('-') && args[i] != "-" {
        match args[i] {
            "-j" | "-json" | "--json" => opts.json = true,
            "-p" | "-pretty" | "--pretty" => opts.pretty = true,
            "-b" | "-batch" | "--batch" => {
                if batch.is_some() {
                    return Err(format!("duplicate option \"{}\"", args[i]));
                }
                i += 1;
                match args.get(i) {
                    Some(f) => batch = Some(f.to_string()),
                    None => return Err(format!("missing argument for \"{}\"", args[i - 1])),
                }
            }
            "-h" | "-help" | "--help" => return Ok((opts, Invocation::Run(Command::Help(None)))),
            other => return Err(format!("unknown option \"{other}\"")),
        }
        i += 1;
    }
    let rest = &args[i..];
    if let Some(file) = batch {
        if let Some(extra) = rest.first() {
            return Err(format!("unexpected \"{extra}\" after -batch FILE"));
        }
        return Ok((opts, Invocation::Batch(file)));
    }
    if rest.is_empty() {
        return Ok((opts, Invocation::Usage));
    }
    Ok((opts, Invocation::Run(parse_command(rest)?)))
}

/// Parses `OBJECT COMMAND ...` (a command line after the options, or a batch line).
pub fn parse_command(args: &[&str]) -> Result<Command, String> {
    let (object, rest) = args.split_first().ok_or("missing object")?;
    match *object {
        "link" => parse_link(rest),
        "map" => parse_map(rest),
        "stats" => {
            if rest.first() == Some(&"help") {
                return Ok(Command::Help(Some(Topic::Stats)));
            }
            parse_stats(rest)
        }
        "monitor" => match rest.first() {
            None => Ok(Command::Monitor),
            Some(&"help") => Ok(Command::Help(Some(Topic::Monitor))),
            Some(w) => Err(unknown(w)),
        },
        "help" => match rest {
            [] => Ok(Command::Help(None)),
            [t] => Ok(Command::Help(Some(topic(t)?))),
            [_, w, ..] => Err(unknown(w)),
        },
        other => Err(format!("unknown object \"{other}\"")),
    }
}

fn topic(t: &str) -> Result<Topic, String> {
    match t {
        "link" => Ok(Topic::Link),
        "map" => Ok(Topic::Map),
        "stats" => Ok(Topic::Stats),
        "monitor" => Ok(Topic::Monitor),
        other => Err(format!("unknown object \"{other}\"")),
    }
}

fn unknown(w: &str) -> String {
    format!("unknown keyword \"{w}\"")
}

/// A cursor over the words of one command that rejects repeated keywords.
struct Words<'a> {
    words: &'a [&'a str],
    pos: usize,
    seen: HashSet<&'static str>,
}

impl<'a> Words<'a> {
    fn new(words: &'a [&'a str]) -> Self {
        Words {
            words,
            pos: 0,
            seen: HashSet::new(),
        }
    }

    fn next(&mut self) -> Option<&'a str> {
        let w = self.words.get(self.pos).copied();
        self.pos += 1;
        w
    }

    /// The value after keyword `kw`, which must not have been seen before.
    fn value(&mut self, kw: &'static str) -> Result<&'a str, String> {
        self.once(kw)?;
        self.next()
            .ok_or_else(|| format!("missing argument for \"{kw}\""))
    }

    fn once(&mut self, kw: &'static str) -> Result<(), String> {
        if self.seen.insert(kw) {
            Ok(())
        } else {
            Err(format!("duplicate keyword \"{kw}\""))
        }
    }
}

/// Decimal, or hexadecimal with `0x`.
fn parse_u32(s: &str) -> Option<u32> {
    parse_u32_bytes(s.as_bytes())
}

fn parse_u32_bytes(s: &[u8]) -> Option<u32> {
    let (digits, radix) = match s {
        [b'0', b'x' | b'X', hex @ ..] => (hex, 16),
        _ => (s, 10),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v = 0u32;
    for &b in digits {
        let d = (b as char).to_digit(radix)?;
        v = v.checked_mul(radix)?.checked_add(d)?;
    }
    Some(v)
}

fn number(what: &str, s: &str, max: u32) -> Result<u32, String> {
    match parse_u32(s) {
        Some(v) if v <= max => Ok(v),
        _ => Err(format!("invalid {what} \"{s}\"")),
    }
}

fn iid(s: &str) -> Result<u32, String> {
    number("iid", s, LISP_IID_MAX)
}

/// A device name the kernel would accept (`dev_valid_name()`).
fn dev_name(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() < 16
        && s != "."
        && s != ".."
        && !s.chars().any(|c| c == '/' || c == ':' || c.is_whitespace());
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!("invalid device name \"{s}\""))
    }
}

fn need_dev(dev: Option<String>) -> Result<String, String> {
    dev.ok_or_else(|| "missing \"dev NAME\"".to_string())
}

/// The link commands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LinkCmd {
    Add,
    Set,
    Del,
    Show,
}

fn parse_link(args: &[&str]) -> Result<Command, String> {
    let (cmd, rest) = args.split_first().ok_or("missing link command")?;
    let cmd = match *cmd {
        "add" => LinkCmd::Add,
        "set" => LinkCmd::Set,
        "del" | "delete" => LinkCmd::Del,
        "show" | "list" => LinkCmd::Show,
        "help" => return Ok(Command::Help(Some(Topic::Link))),
        other => return Err(format!("unknown command \"{other}\"")),
    };
    // Options of add and set (IFLA_INFO_DATA); add alone has those fixed at creation.
    let (add, set) = (cmd == LinkCmd::Add, cmd == LinkCmd::Set);
    let options = add || set;
    let mut w = Words::new(rest);
    let mut name = None;
    let mut mtu = None;
    let mut c = LinkConfig::default();
    while let Some(word) = w.next() {
        match word {
            "mtu" if add => {
                let v = w.value("mtu")?;
                mtu = Some(match parse_u32(v) {
                    Some(m) if (LISP_MIN_MTU..=LISP_MAX_MTU).contains(&m) => m,
                    _ => return Err(format!("invalid mtu \"{v}\"")),
                });
            }
            "port" | "local" | "external" if set => {
                return Err(format!(
                    "\"{word}\" is fixed at creation: delete and re-create the device"
                ));
            }
            "port" if add => c.port = Some(port(w.value("port")?)?),
            "local" if add => c.local = Some(local_addr(w.value("local")?)?),
            "external" if add => {
                w.once("external")?;
                c.external = Some(true);
            }
            "iid" if options => c.iid = Some(iid(w.value("iid")?)?),
            "ttl" if options => c.ttl = Some(link_ttl(w.value("ttl")?)?),
            "tos" if options => c.tos = Some(link_tos(w.value("tos")?)?),
            "udpcsum" | "noudpcsum" if options => switch(&mut c.udp_csum, word, "udpcsum")?,
            "nonce" | "nononce" if options => switch(&mut c.nonce, word, "nonce")?,
            "srccheck" | "nosrccheck" if options => switch(&mut c.src_check, word, "srccheck")?,
            "mapmax" if options => {
                if c.map_max.is_some() {
                    return Err("duplicate keyword \"mapmax\"".into());
                }
                let v = w.value("mapmax")?;
                c.map_max = Some(parse_u32(v).ok_or_else(|| format!("invalid mapmax \"{v}\""))?);
            }
            "dev" if cmd == LinkCmd::Show || set => {
                if name.is_some() {
                    return Err("duplicate keyword \"dev\"".into());
                }
                name = Some(dev_name(w.value("dev")?)?);
            }
            other if name.is_none() => name = Some(dev_name(other)?),
            other => return Err(unknown(other)),
        }
    }
    match cmd {
        LinkCmd::Add => Ok(Command::LinkAdd {
            name: name.ok_or("missing device name")?,
            mtu,
            config: c,
        }),
        LinkCmd::Set => {
            let name = name.ok_or("missing device name")?;
            if c.is_empty() {
                return Err(
                    "nothing to set (iid, ttl, tos, [no]udpcsum, [no]nonce, [no]srccheck or mapmax)"
                        .to_string(),
                );
            }
            Ok(Command::LinkSet { name, config: c })
        }
        LinkCmd::Del => Ok(Command::LinkDel {
            name: name.ok_or("missing device name")?,
        }),
        LinkCmd::Show => Ok(Command::LinkShow { name }),
    }
}

/// A UDP port, 1-65535.
fn port(s: &str) -> Result<u16, String> {
    match parse_u32(s) {
        Some(p) if p != 0 && p <= u32::from(u16::MAX) => Ok(p as u16),
        _ => Err(format!("invalid port \"{s}\"")),
    }
}

/// A local RLOC: a unicast address (the kernel refuses the unspecified address, IPv4 224/3 and
/// 255.x, IPv6 ff00::/8).
fn local_addr(s: &str) -> Result<IpAddr, String> {
    let unicast = |a: &IpAddr| match a {
        IpAddr::V4(v4) => !v4.is_unspecified() && v4.octets()[0] < 224,
        IpAddr::V6(v6) => !v6.is_unspecified() && v6.octets()[0] != 0xff,
    };
    match parse_ip(s) {
        Some(a) if unicast(&a) => Ok(a),
        _ => Err(format!("invalid local address \"{s}\"")),
    }
}

/// `inherit` (0 on the wire) or a fixed TTL, 1-255.
fn link_ttl(s: &str) -> Result<u8, String> {
    if s == "inherit" {
        return Ok(0);
    }
    match parse_u32(s) {
        Some(t @ 1..=255) => Ok(t as u8),
        _ => Err(format!("invalid ttl \"{s}\"")),
    }
}

/// `inherit` (LISP_TOS_INHERIT on the wire) or a fixed TOS, 0-255 but LISP_TOS_INHERIT, which
/// cannot be a fixed value.
fn link_tos(s: &str) -> Result<u8, String> {
    if s == "inherit" {
        return Ok(LISP_TOS_INHERIT);
    }
    match parse_u32(s) {
        Some(t) if t <= 255 && t != u32::from(LISP_TOS_INHERIT) => Ok(t as u8),
        _ => Err(format!("invalid tos \"{s}\"")),
    }
}

/// `on` or `no<on>` (`word`, one of them): sets `slot`, which must not be set yet.
fn switch(slot: &mut Option<bool>, word: &str, on: &str) -> Result<(), String> {
    let value = word == on;
    match *slot {
        None => {
            *slot = Some(value);
            Ok(())
        }
        Some(v) if v == value => Err(format!("duplicate keyword \"{word}\"")),
        Some(_) => {
            let other = if value {
                format!("no{on}")
            } else {
                on.to_string()
            };
            Err(format!("\"{word}\" conflicts with \"{other}\""))
        }
    }
}

fn parse_stats(args: &[&str]) -> Result<Command, String> {
    let mut w = Words::new(args);
    let mut dev = None;
    while let Some(word) = w.next() {
        match word {
            "dev" => dev = Some(dev_name(w.value("dev")?)?),
            other => return Err(unknown(other)),
        }
    }
    Ok(Command::Stats { dev })
}

fn parse_map(args: &[&str]) -> Result<Command, String> {
    let (cmd, rest) = args.split_first().ok_or("missing map command")?;
    match *cmd {
        "add" => parse_map_set(rest, false),
        "replace" => parse_map_set(rest, true),
        "del" | "delete" => {
            let (dev, key) = parse_map_key(rest)?;
            Ok(Command::MapDel { dev, key })
        }
        "get" => parse_map_get(rest),
        "show" | "list" | "flush" => {
            let mut w = Words::new(rest);
            let (mut dev, mut id) = (None, None);
            while let Some(word) = w.next() {
                match word {
                    "iid" => id = Some(iid(w.value("iid")?)?),
                    "dev" => dev = Some(dev_name(w.value("dev")?)?),
                    other => return Err(unknown(other)),
                }
            }
            let dev = need_dev(dev)?;
            if *cmd == "flush" {
                Ok(Command::MapFlush { dev, iid: id })
            } else {
                Ok(Command::MapShow { dev, iid: id })
            }
        }
        "help" => Ok(Command::Help(Some(Topic::Map))),
        other => Err(format!("unknown command \"{other}\"")),
    }
}

fn eid_prefix(s: &str) -> Result<Prefix, String> {
    Prefix::parse(s, true).ok_or_else(|| format!("invalid EID prefix \"{s}\""))
}

fn parse_map_set(args: &[&str], replace: bool) -> Result<Command, String> {
    let mut w = Words::new(args);
    let (mut dev, mut prefix, mut id, mut ttl, mut action) = (None, None, None, None, None);
    let mut origin = None;
    let mut rlocs: Vec<Rloc> = Vec::new();
    // Keywords already given for the current rloc.
    let mut rloc_seen: HashSet<&str> = HashSet::new();
    while let Some(word) = w.next() {
        match word {
            "iid" => id = Some(iid(w.value("iid")?)?),
            "dev" => dev = Some(dev_name(w.value("dev")?)?),
            "ttl" => {
                let v = w.value("ttl")?;
                ttl = Some(number("ttl", v, u32::MAX)?);
            }
            "action" => {
                let v = w.value("action")?;
                action = Some(Action::parse(v).ok_or_else(|| format!("invalid action \"{v}\""))?);
            }
            "proto" => {
                let v = w.value("proto")?;
                // A number, as `ip route` takes: the kernel says which ones it knows.
                let bad = || format!("invalid proto \"{v}\"");
                origin = Some(match Origin::parse(v) {
                    Some(o) => o,
                    None => Origin::from_value(number("proto", v, 255).map_err(|_| bad())? as u8),
                });
            }
            "rloc" => {
                let v = w
                    .next()
                    .ok_or_else(|| "missing argument for \"rloc\"".to_string())?;
                let addr = parse_ip(v).ok_or_else(|| format!("invalid RLOC address \"{v}\""))?;
                if rlocs.iter().any(|r| r.addr == addr) {
                    return Err(format!("duplicate rloc \"{v}\""));
                }
                if rlocs.len() == LISP_MAX_RLOCS {
                    return Err(format!("too many rlocs (at most {LISP_MAX_RLOCS})"));
                }
                rlocs.push(Rloc::new(addr));
                rloc_seen.clear();
            }
            "priority" | "weight" | "down" => {
                let Some(rloc) = rlocs.last_mut() else {
                    return Err(format!("\"{word}\" must follow an rloc"));
                };
                if !rloc_seen.insert(word) {
                    return Err(format!("duplicate keyword \"{word}\""));
                }
                if word == "down" {
                    rloc.up = false;
                    continue;
                }
                let v = w
                    .next()
                    .ok_or_else(|| format!("missing argument for \"{word}\""))?;
                if word == "priority" {
                    rloc.priority = number("priority", v, 255)? as u8;
                } else {
                    rloc.weight = number("weight", v, u32::from(LISP_WEIGHT_MAX))? as u8;
                }
            }
            other if prefix.is_none() => prefix = Some(eid_prefix(other)?),
            other => return Err(unknown(other)),
        }
    }
    let prefix = prefix.ok_or("missing EID prefix")?;
    let dev = need_dev(dev)?;
    if rlocs.is_empty() && action.is_none() {
        return Err("an entry needs at least one rloc or an action".into());
    }
    if !rlocs.is_empty() && action.is_some() {
        return Err("an entry with rlocs cannot have an action".into());
    }
    Ok(Command::MapSet {
        replace,
        dev,
        entry: MapEntry {
            prefix,
            iid: id,
            rlocs,
            ttl,
            action,
            origin,
        },
    })
}

fn parse_map_key(args: &[&str]) -> Result<(String, MapKey), String> {
    let mut w = Words::new(args);
    let (mut dev, mut prefix, mut id) = (None, None, None);
    while let Some(word) = w.next() {
        match word {
            "iid" => id = Some(iid(w.value("iid")?)?),
            "dev" => dev = Some(dev_name(w.value("dev")?)?),
            other if prefix.is_none() => prefix = Some(eid_prefix(other)?),
            other => return Err(unknown(other)),
        }
    }
    let prefix = prefix.ok_or("missing EID prefix")?;
    Ok((need_dev(dev)?, MapKey { prefix, iid: id }))
}

fn parse_map_get(args: &[&str]) -> Result<Command, String> {
    let mut w = Words::new(args);
    let (mut dev, mut id, mut hash) = (None, None, None);
    // Err(prefix) for an exact get, Ok(address) for a lookup.
    let mut target: Option<Result<IpAddr, Prefix>> = None;
    while let Some(word) = w.next() {
        match word {
            "iid" => id = Some(iid(w.value("iid")?)?),
            "dev" => dev = Some(dev_name(w.value("dev")?)?),
            "hash" => {
                let v = w.value("hash")?;
                hash = Some(number("hash", v, u32::MAX)?);
            }
            other if target.is_none() => {
                target =
                    Some(if other.contains('/') {
                        Err(Prefix::parse(other, false)
                            .ok_or_else(|| format!("invalid EID prefix \"{other}\""))?)
                    } else {
                        Ok(parse_ip(other)
                            .ok_or_else(|| format!("invalid EID address \"{other}\""))?)
                    });
            }
            other => return Err(unknown(other)),
        }
    }
    let target = target.ok_or("missing EID prefix or address")?;
    let dev = need_dev(dev)?;
    match target {
        Ok(addr) => Ok(Command::MapLookup {
            dev,
            addr,
            iid: id,
            hash: hash.unwrap_or(0),
        }),
        Err(prefix) => {
            if hash.is_some() {
                return Err("\"hash\" needs an address, not a prefix".into());
            }
            Ok(Command::MapGet {
                dev,
                key: MapKey { prefix, iid: id },
            })
        }
    }
}

/// Splits a batch line into words; `#` starts a comment.
pub fn split_line(line: &str) -> Vec<&str> {
    line.split_whitespace()
        .take_while(|w| !w.starts_with('#'))
        .collect()
}

// ---- Batch lines without allocating ---------------------------------------------------------
//
// Batches of a million `map add` lines must load fast (every line is checked before anything is
// sent, and lines past what is packed while checking are parsed again), so the common lines take
// a path that allocates nothing and reads each byte about once: one scanner walks the text, the
// words are slices of it, and a line lands in a reused `MapLine`. It accepts a subset of
// what `parse_command` accepts, with the same results (a test compares the two on generated
// lines); for anything else, errors and non-ASCII lines included, it hands out the line, and the
// caller asks `parse_command(&split_line(line))`, which words every error.

/// A `map add`/`map replace`/`map del` line; what `Command::MapSet`/`Command::MapDel` hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapLine<'a> {
    /// LISP_CMD_MAP_ADD (add, replace) or LISP_CMD_MAP_DEL.
    pub cmd: u8,
    pub replace: bool,
    pub dev: &'a str,
    pub prefix: Prefix,
    pub iid: Option<u32>,
    rlocs: [Rloc; LISP_MAX_RLOCS],
    nrlocs: usize,
    pub ttl: Option<u32>,
    pub action: Option<Action>,
    pub origin: Option<Origin>,
}

impl Default for MapLine<'_> {
    fn default() -> Self {
        let none = IpAddr::from([0u8; 4]);
        MapLine {
            cmd: 0,
            replace: false,
            dev: "",
            prefix: Prefix { addr: none, len: 0 },
            iid: None,
            rlocs: [Rloc::new(none); LISP_MAX_RLOCS],
            nrlocs: 0,
            ttl: None,
            action: None,
            origin: None,
        }
    }
}

impl MapLine<'_> {
    pub fn rlocs(&self) -> &[Rloc] {
        &self.rlocs[..self.nrlocs]
    }

    pub fn entry(&self) -> EntryRef<'_> {
        EntryRef {
            prefix: self.prefix,
            iid: self.iid,
            rlocs: self.rlocs(),
            ttl: self.ttl,
            action: self.action,
            origin: self.origin,
        }
    }
}

/// A line of a batch with words in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchLine<'a> {
    /// A valid `map add`, `map replace` or `map del` line, now in the `MapLine` given.
    Map,
    /// Anything else (it may still have no words, in non-ASCII whitespace):
    /// `parse_command(&split_line(line))` decides.
    Other(&'a str),
}

/// `char::is_whitespace` of ASCII, by bit: tab, LF, VT, FF, CR, space.
const SPACES: u64 = 1 << 9 | 1 << 10 | 1 << 11 | 1 << 12 | 1 << 13 | 1 << 32;

fn is_space(b: u8) -> bool {
    b <= b' ' && SPACES & (1 << b) != 0
}

/// The lines of a batch text, numbered as by `str::lines()`.
pub struct BatchLines<'a> {
    text: &'a str,
    /// Where the scanner is.
    pos: usize,
    /// Number of the line last handed out.
    line: usize,
    /// Whether a word of the current line has non-ASCII bytes.
    non_ascii: bool,
}

impl<'a> BatchLines<'a> {
    pub fn new(text: &'a str) -> Self {
        BatchLines {
            text,
            pos: 0,
            line: 0,
            non_ascii: false,
        }
    }

    /// Continues after `position()` of another scanner of `text`.
    pub fn resume(text: &'a str, pos: usize, line: usize) -> Self {
        BatchLines {
            text,
            pos,
            line,
            non_ascii: false,
        }
    }

    /// Where the scanner is (the start of the line after the last handed out), and the number
    /// of that last line.
    pub fn position(&self) -> (usize, usize) {
        (self.pos, self.line)
    }

    /// The next word of the current line: `split_line`'s words, up to one starting with `#`.
    /// `None` at the end of the line (the scanner then stays before its `\n`, or on the `#`).
    #[inline(always)]
    fn word(&mut self) -> Option<&'a [u8]> {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGHS: u64 = 0x8080_8080_8080_8080;
        let b = self.text.as_bytes();
        let mut i = self.pos;
        loop {
            match b.get(i) {
                Some(b'\n' | b'#') | None => {
                    self.pos = i;
                    return None;
                }
                Some(&c) if is_space(c) => i += 1,
                Some(_) => break,
            }
        }
        let start = i;
        // The word's bytes OR'ed, for the non-ASCII check.
        let mut seen = 0u64;
        loop {
            // Up to the next byte below 0x21, eight bytes at a time.
            if let Some(chunk) = b.get(i..i + 8) {
                let x = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
                // The lowest byte below 0x21 is flagged exactly (bytes above it may be too).
                let low = x.wrapping_sub(ONES * 0x21) & !x & HIGHS;
                if low == 0 {
                    seen |= x;
                    i += 8;
                    continue;
                }
                let n = low.trailing_zeros() / 8;
                seen |= x & ((1u64 << (8 * n)) - 1);
                i += n as usize;
            } else {
                while i < b.len() && b[i] > b' ' {
                    seen |= u64::from(b[i]);
                    i += 1;
                }
            }
            // A control character that is not whitespace belongs to the word.
            match b.get(i) {
                Some(&c) if !is_space(c) => i += 1,
                _ => break,
            }
        }
        self.non_ascii |= seen & HIGHS != 0;
        self.pos = i;
        Some(&b[start..i])
    }

    /// Moves past the end of the current line.
    fn end_line(&mut self) {
        let b = self.text.as_bytes();
        self.pos = if b.get(self.pos) == Some(&b'\n') {
            self.pos + 1
        } else {
            match self.text[self.pos..].find('\n') {
                Some(i) => self.pos + i + 1,
                None => self.text.len(),
            }
        };
    }

    /// The next line that may have words, with its number: a map change is parsed into `m`.
    pub fn next_into(&mut self, m: &mut MapLine<'a>) -> Option<(usize, BatchLine<'a>)> {
        loop {
            if self.pos >= self.text.len() {
                return None;
            }
            self.line += 1;
            let start = self.pos;
            self.non_ascii = false;
            let Some(first) = self.word() else {
                // Blank, or a comment.
                self.end_line();
                continue;
            };
            let ok = self.map_line(first, m);
            // Words with non-ASCII bytes may hold other whitespace than ASCII's.
            let ok = ok.is_some() && !self.non_ascii;
            self.end_line();
            if ok {
                return Some((self.line, BatchLine::Map));
            }
            let line = self.text[start..self.pos].trim_end_matches('\n');
            return Some((self.line, BatchLine::Other(line)));
        }
    }

    /// `parse_map_set` (or `parse_map_key` for `map del`) of valid lines; `None` for the rest.
    fn map_line(&mut self, first: &[u8], m: &mut MapLine<'a>) -> Option<()> {
        const IID: u8 = 1;
        const DEV: u8 = 2;
        const TTL: u8 = 4;
        const ACTION: u8 = 8;
        const PRIORITY: u8 = 16;
        const WEIGHT: u8 = 32;
        const DOWN: u8 = 64;
        const ORIGIN: u8 = 128;
        const RLOC_KEYWORDS: u8 = PRIORITY | WEIGHT | DOWN;
        if first != b"map" {
            return None;
        }
        (m.cmd, m.replace) = match self.word()? {
            b"add" => (LISP_CMD_MAP_ADD, false),
            b"replace" => (LISP_CMD_MAP_ADD, true),
            b"del" | b"delete" => (LISP_CMD_MAP_DEL, false),
            _ => return None,
        };
        let set = m.cmd == LISP_CMD_MAP_ADD;
        m.dev = "";
        m.iid = None;
        m.nrlocs = 0;
        m.ttl = None;
        m.action = None;
        m.origin = None;
        // Keywords given (those of the last rloc for priority, weight, down).
        let mut seen = 0u8;
        let mut have_prefix = false;
        let once = |seen: &mut u8, kw: u8| -> Option<()> {
            let fresh = *seen & kw == 0;
            *seen |= kw;
            fresh.then_some(())
        };
        while let Some(word) = self.word() {
            match word {
                b"rloc" if set => {
                    let addr = parse_ip_bytes(self.word()?)?;
                    if m.nrlocs == LISP_MAX_RLOCS || m.rlocs().iter().any(|r| r.addr == addr) {
                        return None;
                    }
                    m.rlocs[m.nrlocs] = Rloc::new(addr);
                    m.nrlocs += 1;
                    seen &= !RLOC_KEYWORDS;
                }
                b"dev" => {
                    once(&mut seen, DEV)?;
                    let d = self.word()?;
                    // `dev_name()`; a word has no whitespace.
                    let bad = |c: &u8| *c == b'/' || *c == b':';
                    if d.len() >= 16 || d == b"." || d == b".." || d.iter().any(bad) {
                        return None;
                    }
                    // The word's place in the text (a word is cut at ASCII bytes).
                    let at = d.as_ptr() as usize - self.text.as_ptr() as usize;
                    m.dev = self.text.get(at..at + d.len())?;
                }
                b"iid" => {
                    once(&mut seen, IID)?;
                    m.iid = Some(parse_u32_bytes(self.word()?).filter(|&v| v <= LISP_IID_MAX)?);
                }
                b"ttl" if set => {
                    once(&mut seen, TTL)?;
                    m.ttl = Some(parse_u32_bytes(self.word()?)?);
                }
                b"action" if set => {
                    once(&mut seen, ACTION)?;
                    m.action = Some(match self.word()? {
                        b"drop" => Action::Drop,
                        b"forward" => Action::Forward,
                        b"notify" => Action::Notify,
                        _ => return None,
                    });
                }
                b"proto" if set => {
                    once(&mut seen, ORIGIN)?;
                    m.origin = Some(match self.word()? {
                        b"static" => Origin::Static,
                        b"lispd" => Origin::Lispd,
                        _ => return None,
                    });
                }
                b"priority" | b"weight" | b"down" if set => {
                    if m.nrlocs == 0 {
                        return None;
                    }
                    let rloc = &mut m.rlocs[m.nrlocs - 1];
                    match word {
                        b"down" => {
                            once(&mut seen, DOWN)?;
                            rloc.up = false;
                        }
                        b"priority" => {
                            once(&mut seen, PRIORITY)?;
                            rloc.priority = u8::try_from(parse_u32_bytes(self.word()?)?).ok()?;
                        }
                        _ => {
                            once(&mut seen, WEIGHT)?;
                            let v = parse_u32_bytes(self.word()?)
                                .filter(|&v| v <= u32::from(LISP_WEIGHT_MAX))?;
                            rloc.weight = v as u8;
                        }
                    }
                }
                other if !have_prefix => {
                    m.prefix = Prefix::parse_bytes(other, true)?;
                    have_prefix = true;
                }
                _ => return None,
            }
        }
        let valid =
            have_prefix && !m.dev.is_empty() && (!set || (m.nrlocs == 0) != m.action.is_none());
        valid.then_some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire;
    use lisp_client::testutil::{a, libc_ifla};
    use neli::consts::nl::NlmF;

    fn cmd(line: &str) -> Result<Command, String> {
        parse_command(&split_line(line))
    }

    fn err(line: &str) -> String {
        cmd(line).expect_err(line)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn options() {
        let (o, i) = parse_invocation(&["-j", "-p", "map", "show", "dev", "lisp0"]).unwrap();
        assert!(o.json && o.pretty);
        assert_eq!(
            i,
            Invocation::Run(Command::MapShow {
                dev: "lisp0".into(),
                iid: None
            })
        );
        let (o, i) = parse_invocation(&["-json", "-batch", "-"]).unwrap();
        assert!(o.json && !o.pretty);
        assert_eq!(i, Invocation::Batch("-".into()));
        assert_eq!(parse_invocation::<&str>(&[]).unwrap().1, Invocation::Usage);
        assert_eq!(
            parse_invocation(&["--help"]).unwrap().1,
            Invocation::Run(Command::Help(None))
        );
        assert_eq!(
            parse_invocation(&["map", "help"]).unwrap().1,
            Invocation::Run(Command::Help(Some(Topic::Map)))
        );
        assert_eq!(
            parse_invocation(&["-x", "map"]).unwrap_err(),
            "unknown option \"-x\""
        );
        assert_eq!(
            parse_invocation(&["-batch"]).unwrap_err(),
            "missing argument for \"-batch\""
        );
        assert_eq!(
            parse_invocation(&["-batch", "f", "map"]).unwrap_err(),
            "unexpected \"map\" after -batch FILE"
        );
        assert_eq!(
            parse_invocation(&["frob"]).unwrap_err(),
            "unknown object \"frob\""
        );
        assert_eq!(
            parse_invocation(&["map", "frob"]).unwrap_err(),
            "unknown command \"frob\""
        );
    }

    #[test]
    fn map_add() {
        let c = cmd(
            "map add 10.1.0.0/24 iid 7 rloc 192.0.2.1 rloc 2001:db8::1 priority 2 \
                     weight 50 down ttl 300 dev lisp0",
        )
        .unwrap();
        assert_eq!(
            c,
            Command::MapSet {
                replace: false,
                dev: "lisp0".into(),
                entry: MapEntry {
                    prefix: Prefix {
                        addr: ip("10.1.0.0"),
                        len: 24
                    },
                    iid: Some(7),
                    rlocs: vec![
                        Rloc {
                            addr: ip("192.0.2.1"),
                            priority: 1,
                            weight: 100,
                            up: true
                        },
                        Rloc {
                            addr: ip("2001:db8::1"),
                            priority: 2,
                            weight: 50,
                            up: false
                        },
                    ],
                    ttl: Some(300),
                    action: None,
                    origin: None,
                },
            }
        );
        let c = cmd("map replace dev lisp0 2001:db8:1::/48 action notify").unwrap();
        let Command::MapSet {
            replace: true,
            entry,
            ..
        } = c
        else {
            panic!("{c:?}")
        };
        assert_eq!(entry.action, Some(Action::Notify));
        assert!(entry.rlocs.is_empty());
        let c = cmd("map replace 10.0.0.0/8 rloc 1.1.1.1 proto lispd dev l").unwrap();
        let Command::MapSet { entry, .. } = c else {
            panic!("{c:?}")
        };
        assert_eq!(entry.origin, Some(Origin::Lispd));
        let c = cmd("map replace 10.0.0.0/8 rloc 1.1.1.1 proto 2 dev l").unwrap();
        let Command::MapSet { entry, .. } = c else {
            panic!("{c:?}")
        };
        assert_eq!(entry.origin, Some(Origin::Other(2)));
        // A bare address is a host prefix; limits are inclusive.
        let c = cmd("map add 10.0.0.1 iid 16777215 rloc 10.9.9.9 priority 255 weight 0 dev x");
        let Ok(Command::MapSet { entry, .. }) = c else {
            panic!("{c:?}")
        };
        assert_eq!(entry.prefix.len, 32);
        assert_eq!(entry.iid, Some(LISP_IID_MAX));
        assert_eq!((entry.rlocs[0].priority, entry.rlocs[0].weight), (255, 0));
    }

    #[test]
    fn map_add_errors() {
        let cases = [
            (
                "map add 10.0.0.0/33 rloc 1.1.1.1 dev l",
                "invalid EID prefix \"10.0.0.0/33\"",
            ),
            (
                "map add 10.0.0.1/24 rloc 1.1.1.1 dev l",
                "invalid EID prefix \"10.0.0.1/24\"",
            ),
            (
                "map add ::/129 rloc 1.1.1.1 dev l",
                "invalid EID prefix \"::/129\"",
            ),
            (
                "map add 10.0.0.0/8 dev l",
                "an entry needs at least one rloc or an action",
            ),
            (
                "map add 10.0.0.0/8 rloc 1.1.1.1 action drop dev l",
                "an entry with rlocs cannot have an action",
            ),
            (
                "map add 10.0.0.0/8 rloc 1.1.1.1 priority 256 dev l",
                "invalid priority \"256\"",
            ),
            (
                "map add 10.0.0.0/8 rloc 1.1.1.1 weight 101 dev l",
                "invalid weight \"101\"",
            ),
            (
                "map add 10.0.0.0/8 rloc 1.1.1.1 weight -1 dev l",
                "invalid weight \"-1\"",
            ),
            (
                "map add 10.0.0.0/8 iid 16777216 rloc 1.1.1.1 dev l",
                "invalid iid \"16777216\"",
            ),
            (
                "map add 10.0.0.0/8 iid x rloc 1.1.1.1 dev l",
                "invalid iid \"x\"",
            ),
            (
                "map add 10.0.0.0/8 rloc 1.1.1 dev l",
                "invalid RLOC address \"1.1.1\"",
            ),
            (
                "map add 10.0.0.0/8 rloc 1.1.1.1 proto kernel dev l",
                "invalid proto \"kernel\"",
            ),
            (
                "map add 10.0.0.0/8 rloc 1.1.1.1 proto lispd proto static dev l",
                "duplicate keyword \"proto\"",
            ),
            (
                "map add 10.0.0.0/8 rloc 1.1.1.1 ttl 1e3 dev l",
                "invalid ttl \"1e3\"",
            ),
            (
                "map add 10.0.0.0/8 action reject dev l",
                "invalid action \"reject\"",
            ),
            (
                "map add 10.0.0.0/8 rloc 1.1.1.1 dev l dev m",
                "duplicate keyword \"dev\"",
            ),
            (
                "map add 10.0.0.0/8 iid 1 iid 2 rloc 1.1.1.1 dev l",
                "duplicate keyword \"iid\"",
            ),
            (
                "map add 10.0.0.0/8 rloc 1.1.1.1 priority 1 priority 2 dev l",
                "duplicate keyword \"priority\"",
            ),
            (
                "map add 10.0.0.0/8 rloc 1.1.1.1 down down dev l",
                "duplicate keyword \"down\"",
            ),
            (
                "map add 10.0.0.0/8 rloc 1.1.1.1 rloc 1.1.1.1 dev l",
                "duplicate rloc \"1.1.1.1\"",
            ),
            (
                "map add 10.0.0.0/8 priority 1 rloc 1.1.1.1 dev l",
                "\"priority\" must follow an rloc",
            ),
            (
                "map add 10.0.0.0/8 rloc 1.1.1.1 foo dev l",
                "unknown keyword \"foo\"",
            ),
            ("map add 10.0.0.0/8 rloc 1.1.1.1", "missing \"dev NAME\""),
            ("map add rloc 1.1.1.1 dev l", "missing EID prefix"),
            (
                "map add 10.0.0.0/8 rloc 1.1.1.1 dev",
                "missing argument for \"dev\"",
            ),
            ("map add 10.0.0.0/8 rloc", "missing argument for \"rloc\""),
            (
                "map add 10.0.0.0/8 rloc 1.1.1.1 dev a/b",
                "invalid device name \"a/b\"",
            ),
            (
                "map add 10.0.0.0/8 rloc 1.1.1.1 dev abcdefghijklmnop",
                "invalid device name \"abcdefghijklmnop\"",
            ),
        ];
        for (line, want) in cases {
            assert_eq!(err(line), want, "{line}");
        }
        let nine: String = (1..=9).map(|i| format!(" rloc 192.0.2.{i}")).collect();
        assert_eq!(
            err(&format!("map add 10.0.0.0/8{nine} dev l")),
            "too many rlocs (at most 8)"
        );
        let eight: String = (1..=8).map(|i| format!(" rloc 192.0.2.{i}")).collect();
        assert!(cmd(&format!("map add 10.0.0.0/8{eight} dev l")).is_ok());
    }

    #[test]
    fn map_other() {
        assert_eq!(
            cmd("map del 10.0.0.0/8 iid 3 dev l").unwrap(),
            Command::MapDel {
                dev: "l".into(),
                key: MapKey {
                    prefix: Prefix::parse("10.0.0.0/8", false).unwrap(),
                    iid: Some(3)
                }
            }
        );
        assert_eq!(
            cmd("map get 10.0.0.0/8 dev l").unwrap(),
            Command::MapGet {
                dev: "l".into(),
                key: MapKey {
                    prefix: Prefix::parse("10.0.0.0/8", false).unwrap(),
                    iid: None
                }
            }
        );
        assert_eq!(
            cmd("map get 10.1.2.3 hash 0x10 dev l").unwrap(),
            Command::MapLookup {
                dev: "l".into(),
                addr: ip("10.1.2.3"),
                iid: None,
                hash: 16
            }
        );
        assert_eq!(
            cmd("map get 2001:db8::5 iid 2 dev l").unwrap(),
            Command::MapLookup {
                dev: "l".into(),
                addr: ip("2001:db8::5"),
                iid: Some(2),
                hash: 0
            }
        );
        assert_eq!(
            cmd("map show dev l").unwrap(),
            Command::MapShow {
                dev: "l".into(),
                iid: None
            }
        );
        assert_eq!(
            cmd("map flush iid 5 dev l").unwrap(),
            Command::MapFlush {
                dev: "l".into(),
                iid: Some(5)
            }
        );
        let cases = [
            (
                "map del 10.0.0.0/8 rloc 1.1.1.1 dev l",
                "unknown keyword \"rloc\"",
            ),
            ("map del 10.0.0.0/8", "missing \"dev NAME\""),
            (
                "map get 10.0.0.0/8 hash 1 dev l",
                "\"hash\" needs an address, not a prefix",
            ),
            (
                "map get 10.0.0.300 dev l",
                "invalid EID address \"10.0.0.300\"",
            ),
            (
                "map get 10.0.0.0/40 dev l",
                "invalid EID prefix \"10.0.0.0/40\"",
            ),
            (
                "map get 10.0.0.1 hash 4294967296 dev l",
                "invalid hash \"4294967296\"",
            ),
            ("map get dev l", "missing EID prefix or address"),
            (
                "map show 10.0.0.0/8 dev l",
                "unknown keyword \"10.0.0.0/8\"",
            ),
            ("map show dev l iid 1 iid 1", "duplicate keyword \"iid\""),
            ("map flush", "missing \"dev NAME\""),
        ];
        for (line, want) in cases {
            assert_eq!(err(line), want, "{line}");
        }
    }

    #[test]
    fn link_stats_monitor() {
        assert_eq!(
            cmd("link add lisp0 mtu 1400").unwrap(),
            Command::LinkAdd {
                name: "lisp0".into(),
                mtu: Some(1400),
                config: LinkConfig::default(),
            }
        );
        assert_eq!(
            cmd("link del lisp0").unwrap(),
            Command::LinkDel {
                name: "lisp0".into()
            }
        );
        assert_eq!(cmd("link show").unwrap(), Command::LinkShow { name: None });
        assert_eq!(
            cmd("link show dev lisp1").unwrap(),
            Command::LinkShow {
                name: Some("lisp1".into())
            }
        );
        assert_eq!(cmd("stats").unwrap(), Command::Stats { dev: None });
        assert_eq!(
            cmd("stats dev lisp0").unwrap(),
            Command::Stats {
                dev: Some("lisp0".into())
            }
        );
        assert_eq!(cmd("monitor").unwrap(), Command::Monitor);
        assert_eq!(cmd("help link").unwrap(), Command::Help(Some(Topic::Link)));
        let cases = [
            ("link add lisp0 mtu 67", "invalid mtu \"67\""),
            ("link add lisp0 mtu 65480", "invalid mtu \"65480\""),
            (
                "link add lisp0 mtu 1400 mtu 1400",
                "duplicate keyword \"mtu\"",
            ),
            ("link add", "missing device name"),
            ("link add a b", "unknown keyword \"b\""),
            ("link del lisp0 mtu 1400", "unknown keyword \"mtu\""),
            ("link show lisp0 dev lisp1", "duplicate keyword \"dev\""),
            ("link frob", "unknown command \"frob\""),
            ("stats lisp0", "unknown keyword \"lisp0\""),
            ("stats dev a dev b", "duplicate keyword \"dev\""),
            ("monitor foo", "unknown keyword \"foo\""),
        ];
        for (line, want) in cases {
            assert_eq!(err(line), want, "{line}");
        }
        assert!(cmd(&format!("link add x mtu {LISP_MAX_MTU}")).is_ok());
        assert!(cmd(&format!("link add x mtu {LISP_MIN_MTU}")).is_ok());
    }

    #[test]
    fn link_options() {
        let c = cmd(
            "link add lisp0 mtu 1400 port 4342 local 10.0.0.1 iid 7 external ttl 64 \
                     tos 0x10 noudpcsum nonce",
        )
        .unwrap();
        assert_eq!(
            c,
            Command::LinkAdd {
                name: "lisp0".into(),
                mtu: Some(1400),
                config: LinkConfig {
                    port: Some(4342),
                    local: Some(ip("10.0.0.1")),
                    iid: Some(7),
                    ttl: Some(64),
                    tos: Some(0x10),
                    external: Some(true),
                    udp_csum: Some(false),
                    nonce: Some(true),
                    ..LinkConfig::default()
                },
            }
        );
        assert_eq!(
            cmd("link set lisp0 srccheck mapmax 0x10").unwrap(),
            Command::LinkSet {
                name: "lisp0".into(),
                config: LinkConfig {
                    src_check: Some(true),
                    map_max: Some(16),
                    ..LinkConfig::default()
                },
            }
        );
        assert_eq!(
            cmd("link add l nosrccheck mapmax 4294967295").unwrap(),
            Command::LinkAdd {
                name: "l".into(),
                mtu: None,
                config: LinkConfig {
                    src_check: Some(false),
                    map_max: Some(u32::MAX),
                    ..LinkConfig::default()
                },
            }
        );
        // Only what is given; the name anywhere; inherit; limits inclusive.
        let c = cmd("link add ttl inherit tos inherit lisp1 local 2001:db8::1 udpcsum nononce");
        assert_eq!(
            c.unwrap(),
            Command::LinkAdd {
                name: "lisp1".into(),
                mtu: None,
                config: LinkConfig {
                    local: Some(ip("2001:db8::1")),
                    ttl: Some(0),
                    tos: Some(LISP_TOS_INHERIT),
                    udp_csum: Some(true),
                    nonce: Some(false),
                    ..LinkConfig::default()
                },
            }
        );
        for (line, want) in [
            ("link add l port 1", (Some(1), None, None)),
            (
                "link add l port 65535 ttl 1 tos 0",
                (Some(65535), Some(1), Some(0)),
            ),
            ("link add l ttl 255 tos 255", (None, Some(255), Some(255))),
            ("link add l ttl 0xff tos 2", (None, Some(255), Some(2))),
        ] {
            let Ok(Command::LinkAdd { config, .. }) = cmd(line) else {
                panic!("{line}")
            };
            assert_eq!((config.port, config.ttl, config.tos), want, "{line}");
        }
        let Ok(Command::LinkAdd { config, .. }) = cmd("link add l iid 16777215") else {
            panic!()
        };
        assert_eq!(config.iid, Some(LISP_IID_MAX));
        assert_eq!(
            cmd("link set lisp0 iid 3 ttl inherit tos 0x2e nonce noudpcsum").unwrap(),
            Command::LinkSet {
                name: "lisp0".into(),
                config: LinkConfig {
                    iid: Some(3),
                    ttl: Some(0),
                    tos: Some(0x2e),
                    udp_csum: Some(false),
                    nonce: Some(true),
                    ..LinkConfig::default()
                },
            }
        );
        assert_eq!(
            cmd("link set dev lisp0 ttl 8").unwrap(),
            Command::LinkSet {
                name: "lisp0".into(),
                config: LinkConfig {
                    ttl: Some(8),
                    ..LinkConfig::default()
                },
            }
        );
        let cases = [
            ("link add l port 0", "invalid port \"0\""),
            ("link add l port 65536", "invalid port \"65536\""),
            ("link add l port http", "invalid port \"http\""),
            ("link add l iid 16777216", "invalid iid \"16777216\""),
            ("link add l ttl 300", "invalid ttl \"300\""),
            ("link add l ttl 0", "invalid ttl \"0\""),
            ("link add l ttl -1", "invalid ttl \"-1\""),
            ("link add l ttl inherited", "invalid ttl \"inherited\""),
            ("link add l tos 256", "invalid tos \"256\""),
            ("link add l tos 1", "invalid tos \"1\""),
            ("link add l tos 0x01", "invalid tos \"0x01\""),
            ("link add l tos 0x", "invalid tos \"0x\""),
            (
                "link add l local 10.0.0",
                "invalid local address \"10.0.0\"",
            ),
            (
                "link add l local 0.0.0.0",
                "invalid local address \"0.0.0.0\"",
            ),
            (
                "link add l local 224.0.0.1",
                "invalid local address \"224.0.0.1\"",
            ),
            (
                "link add l local 255.255.255.255",
                "invalid local address \"255.255.255.255\"",
            ),
            ("link add l local ::", "invalid local address \"::\""),
            (
                "link add l local ff02::1",
                "invalid local address \"ff02::1\"",
            ),
            (
                "link add l local 10.0.0.1/32",
                "invalid local address \"10.0.0.1/32\"",
            ),
            ("link add l port 1 port 2", "duplicate keyword \"port\""),
            (
                "link add l local 10.0.0.1 local 10.0.0.2",
                "duplicate keyword \"local\"",
            ),
            ("link add l iid 1 iid 1", "duplicate keyword \"iid\""),
            ("link add l ttl 1 ttl 2", "duplicate keyword \"ttl\""),
            ("link add l tos 0 tos inherit", "duplicate keyword \"tos\""),
            (
                "link add l external external",
                "duplicate keyword \"external\"",
            ),
            ("link add l nonce nonce", "duplicate keyword \"nonce\""),
            (
                "link add l noudpcsum noudpcsum",
                "duplicate keyword \"noudpcsum\"",
            ),
            (
                "link add l udpcsum noudpcsum",
                "\"noudpcsum\" conflicts with \"udpcsum\"",
            ),
            (
                "link set l nononce nonce",
                "\"nonce\" conflicts with \"nononce\"",
            ),
            ("link add l ttl", "missing argument for \"ttl\""),
            ("link add l port", "missing argument for \"port\""),
            ("link add l noexternal", "unknown keyword \"noexternal\""),
            ("link add l nonce x", "unknown keyword \"x\""),
            ("link add a/b iid 1", "invalid device name \"a/b\""),
            ("link add iid 1", "missing device name"),
            (
                "link set l port 4341",
                "\"port\" is fixed at creation: delete and re-create the device",
            ),
            (
                "link set l local 10.0.0.1",
                "\"local\" is fixed at creation: delete and re-create the device",
            ),
            (
                "link set l external",
                "\"external\" is fixed at creation: delete and re-create the device",
            ),
            ("link set l mtu 1400", "unknown keyword \"mtu\""),
            ("link set l ttl 300", "invalid ttl \"300\""),
            ("link set l iid 16777216", "invalid iid \"16777216\""),
            ("link set l ttl 1 ttl 1", "duplicate keyword \"ttl\""),
            ("link set l dev m ttl 1", "duplicate keyword \"dev\""),
            (
                "link set l",
                "nothing to set (iid, ttl, tos, [no]udpcsum, [no]nonce, [no]srccheck or mapmax)",
            ),
            ("link set ttl 1", "missing device name"),
            ("link del l ttl 1", "unknown keyword \"ttl\""),
            ("link show l nonce", "unknown keyword \"nonce\""),
        ];
        for (line, want) in cases {
            assert_eq!(err(line), want, "{line}");
        }
    }

    #[test]
    fn help_texts() {
        let link = help_text(Some(Topic::Link));
        assert!(
            link.contains("lispctl link set [ dev ] NAME [ iid IID ]"),
            "{link}"
        );
        assert!(
            link.contains("[ [no]udpcsum ] [ [no]nonce ] [ [no]srccheck ] [ mapmax MAX ]"),
            "{link}"
        );
        assert!(help_text(None).contains(&link));
    }

    #[test]
    fn batch_lines() {
        assert_eq!(
            split_line("  map show dev l # all of it"),
            ["map", "show", "dev", "l"]
        );
        assert!(split_line("# comment").is_empty());
        assert!(split_line("   ").is_empty());
    }

    /// A small deterministic generator (xorshift).
    pub struct Rng(pub u64);

    impl Rng {
        pub fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        pub fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        pub fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[self.below(from.len())]
        }
    }

    /// What the fast path makes of one line: `None` (no words), `Some(Ok(..))` (a map change:
    /// command, replace, device, nest), `Some(Err(line))` (left to `parse_command`).
    type Fast<'a> = Option<Result<(u8, bool, String, MapEntry), &'a str>>;

    fn fast(line: &str) -> Fast<'_> {
        let mut m = MapLine::default();
        let mut lines = BatchLines::new(line);
        let r = match lines.next_into(&mut m)? {
            (1, BatchLine::Map) => Ok((m.cmd, m.replace, m.dev.to_string(), entry_of(&m.entry()))),
            (1, BatchLine::Other(l)) => Err(l),
            (n, _) => panic!("line {n} of one"),
        };
        assert!(lines.next_into(&mut m).is_none());
        Some(r)
    }

    fn entry_of(e: &EntryRef) -> MapEntry {
        MapEntry {
            prefix: e.prefix,
            iid: e.iid,
            rlocs: e.rlocs.to_vec(),
            ttl: e.ttl,
            action: e.action,
            origin: e.origin,
        }
    }

    /// `parse_command` of a line, as `fast` shows map changes.
    fn slow(line: &str) -> Option<Result<(u8, bool, String, MapEntry), String>> {
        let words = split_line(line);
        if words.is_empty() {
            return None;
        }
        Some(match parse_command(&words) {
            Ok(Command::MapSet {
                replace,
                dev,
                entry,
            }) => Ok((LISP_CMD_MAP_ADD, replace, dev, entry)),
            Ok(Command::MapDel { dev, key }) => {
                Ok((LISP_CMD_MAP_DEL, false, dev, entry_of(&key.borrowed())))
            }
            Ok(other) => Err(format!("{other:?}")),
            Err(e) => Err(e),
        })
    }

    /// The fast path agrees with `parse_command`: what it takes is what `parse_command` makes
    /// of the line; what it leaves is the line itself.
    fn check_line(line: &str) -> bool {
        match (fast(line), slow(line)) {
            (None, None) => false,
            (Some(Ok(f)), Some(Ok(s))) => {
                assert_eq!(f, s, "{line:?}");
                true
            }
            (Some(Err(l)), _) => {
                assert_eq!(l, line.strip_suffix('\n').unwrap_or(line), "{line:?}");
                false
            }
            (f, s) => panic!("{line:?}: fast {f:?}, slow {s:?}"),
        }
    }

    #[test]
    fn fast_batch_lines() {
        for line in [
            "map add 10.1.0.0/24 rloc 192.0.2.1 dev lisp0",
            "map add 10.1.0.0/24 iid 7 rloc 192.0.2.1 rloc 2001:db8::1 priority 2 weight 50 down \
             ttl 300 dev lisp0",
            "  map\treplace dev lisp0 2001:db8:1::/48 action notify # negative\r",
            "map add 10.0.0.1 iid 0x10 rloc 10.9.9.9 priority 255 weight 0 dev x",
            "map del 10.0.0.0/8 iid 3 dev l",
            "map delete ::/0 dev l",
            "map add 10.0.0.0/8 rloc 1.1.1.1 dev a#b",
        ] {
            assert!(check_line(line), "{line}");
        }
        // Errors, other commands and other whitespace are left to parse_command.
        for line in [
            "map add 10.0.0.0/8 rloc 1.1.1.1 rloc 1.1.1.1 dev l",
            "map add 10.0.0.0/8 dev l",
            "map add 10.0.0.0/8 rloc 1.1.1.1 dev l dev m",
            "map show dev l",
            "map add\u{a0}10.0.0.0/8 rloc 1.1.1.1 dev a",
            "map add 10.0.0.0/8 rloc 1.1.1.1 dev lisp\u{e9}",
            "stats",
        ] {
            assert!(!check_line(line), "{line}");
        }
        assert_eq!(fast("  # comment"), None);
        assert_eq!(fast(" \t\r"), None);
        assert_eq!(fast(""), None);
        // Non-ASCII whitespace only: the fast path cannot tell, parse_command finds no words.
        assert_eq!(fast("\u{a0}"), Some(Err("\u{a0}")));
    }

    #[test]
    fn fast_batch_lines_generated() {
        let prefixes = [
            "10.0.0.0/8",
            "10.1.0.0/24",
            "10.0.0.1/24",
            "10.0.0.0/33",
            "0.0.0.0/0",
            "10.0.0.1",
            "2001:db8::/32",
            "::/0",
            "::1",
            "1.2.3",
            "01.2.3.4/32",
            "10.0.0.0/08",
            "10.0.0.0/+8",
            "10.0.0.0/",
            "/8",
            "10.0.0.0/8/8",
            "1.2.3.4/032",
            "2001:db8::1/128",
            "fe80::/10",
            "::ffff:1.2.3.4",
            "::ffff:1.2.3.0/120",
            "1.2.3.4/0256",
            "1.2.3.4/256",
            "1.2.3.0/ 8",
        ];
        let addrs = [
            "192.0.2.1",
            "192.0.2.2",
            "2001:db8::1",
            "2001:DB8::1",
            "2001:0db8:0:0:0:0:0:1",
            "1.2.3.04",
            "256.1.1.1",
            "::",
            "1::2::3",
            "x",
            "::ffff:192.0.2.1",
            "1.2.3.4.5",
        ];
        let values = [
            "0",
            "1",
            "7",
            "100",
            "101",
            "255",
            "256",
            "0x10",
            "0X1f",
            "0x",
            "4294967295",
            "4294967296",
            "16777215",
            "16777216",
            "-1",
            "+1",
            "1e3",
            "007",
        ];
        let actions = ["drop", "forward", "notify", "reject"];
        let origins = ["lispd", "static", "kernel"];
        let devs = [
            "lisp0",
            "a",
            "abcdefghijklmno",
            "abcdefghijklmnop",
            ".",
            "..",
            "a/b",
            "a:b",
            "a#b",
            "lisp\u{e9}",
        ];
        let spaces = [
            " ", " ", " ", "  ", "\t", "\r", "\x0b", "\x0c", "\u{a0}", "\u{2003}",
        ];
        let keywords = [
            "rloc", "priority", "weight", "down", "ttl", "iid", "dev", "action", "proto",
        ];
        // Valid choices come first in each list: `good` picks among the first few mostly.
        let good = |rng: &mut Rng, from: &[&'static str], valid: usize| -> String {
            if rng.below(12) == 0 {
                rng.pick(from).into()
            } else {
                from[rng.below(valid)].into()
            }
        };
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut taken, mut valid) = (0, 0);
        for round in 0..40_000 {
            let mut words: Vec<String> = Vec::new();
            let object = if rng.below(20) == 0 { "link" } else { "map" };
            words.push(object.into());
            let cmd = [
                "add", "add", "add", "replace", "del", "delete", "get", "frob",
            ];
            let cmd = rng.pick(&cmd);
            words.push(cmd.into());
            // Locators, TTL and action, but mostly not for a deletion.
            let set = !cmd.starts_with("del") || rng.below(10) == 0;
            // Mostly well-formed: prefix, rlocs with options, iid, ttl, action, dev, shuffled
            // a little; sometimes anything.
            let sane = round % 4 != 0;
            if sane {
                let p = [0, 1, 4, 5, 6, 7, 8, 13][rng.below(8)];
                words.push(if rng.below(10) == 0 {
                    rng.pick(&prefixes).into()
                } else {
                    prefixes[p].into()
                });
                if rng.below(3) == 0 {
                    words.extend(["iid".into(), good(&mut rng, &values, 4)]);
                }
                let rlocs = if set { rng.below(4) } else { 0 };
                for k in 0..rlocs {
                    let a = if rng.below(10) == 0 {
                        rng.pick(&addrs)
                    } else {
                        addrs[k]
                    };
                    words.extend(["rloc".into(), a.into()]);
                    for kw in ["priority", "weight", "down"] {
                        if rng.below(3) == 0 {
                            words.push(kw.into());
                            if kw != "down" {
                                words.push(good(&mut rng, &values, 4));
                            }
                        }
                    }
                }
                if set && rng.below(3) == 0 {
                    words.extend(["ttl".into(), good(&mut rng, &values, 6)]);
                }
                if set && (rlocs == 0 || rng.below(10) == 0) {
                    words.extend(["action".into(), good(&mut rng, &actions, 3)]);
                }
                if set && rng.below(4) == 0 {
                    words.extend(["proto".into(), good(&mut rng, &origins, 2)]);
                }
                if rng.below(10) != 0 {
                    words.extend(["dev".into(), good(&mut rng, &devs, 3)]);
                }
                if rng.below(4) == 0 {
                    let (i, j) = (rng.below(words.len()), rng.below(words.len()));
                    words.swap(i, j);
                }
            } else {
                for _ in 0..rng.below(12) {
                    let w = match rng.below(6) {
                        0 => rng.pick(&prefixes),
                        1 => rng.pick(&addrs),
                        2 => rng.pick(&values),
                        3 => rng.pick(&devs),
                        4 => rng.pick(&actions),
                        _ => rng.pick(&keywords),
                    };
                    words.push(w.into());
                }
            }
            if rng.below(8) == 0 {
                words.push(["#", "#c", "#\u{e9}", "# x"][rng.below(4)].into());
            }
            let mut line = String::new();
            if rng.below(6) == 0 {
                line.push_str(rng.pick(&spaces));
            }
            for (i, w) in words.iter().enumerate() {
                if i > 0 {
                    // Mostly plain spaces, so that most lines stay ASCII.
                    let sep = if rng.below(10) == 0 {
                        rng.pick(&spaces)
                    } else {
                        " "
                    };
                    line.push_str(sep);
                }
                line.push_str(w);
            }
            if rng.below(6) == 0 {
                line.push_str(rng.pick(&spaces));
            }
            if rng.below(4) == 0 {
                line.push_str(["\n", "\r\n"][rng.below(2)]);
            }
            if matches!(slow(&line), Some(Ok(_))) {
                valid += 1;
            }
            if check_line(&line) {
                taken += 1;
            }
        }
        // The fast path took most of the valid lines (not those with other whitespace).
        assert!(valid > 8_000 && taken > valid * 3 / 4, "{taken} of {valid}");
    }

    #[test]
    fn spaces_as_char_is_whitespace() {
        for b in 0..128u8 {
            assert_eq!(is_space(b), (b as char).is_whitespace(), "{b:#x}");
        }
    }

    #[test]
    fn batch_line_numbers() {
        let text = "# header\r\n\nmap add 10.0.0.0/8 rloc 1.1.1.1 dev a\r\n  \t\nmap show dev a\n\
                    map del 10.0.0.0/8 dev a";
        let mut m = MapLine::default();
        let mut lines = BatchLines::new(text);
        let mut got = Vec::new();
        while let Some((n, l)) = lines.next_into(&mut m) {
            got.push((n, l));
        }
        assert_eq!(
            got,
            [
                (3, BatchLine::Map),
                (5, BatchLine::Other("map show dev a")),
                (6, BatchLine::Map)
            ]
        );
        assert_eq!(m.cmd, LISP_CMD_MAP_DEL);
        // Resuming where another scanner stood.
        let mut first = BatchLines::new(text);
        first.next_into(&mut m);
        let (pos, line) = first.position();
        let mut rest = BatchLines::resume(text, pos, line);
        assert_eq!(
            rest.next_into(&mut m),
            Some((5, BatchLine::Other("map show dev a")))
        );
        // Line numbers as str::lines() counts them.
        for text in ["", "\n", "a\n\nb", "a\r\nb\r\n", "\n\nmap show dev a"] {
            let want: Vec<usize> = text
                .lines()
                .enumerate()
                .filter(|(_, l)| !split_line(l).is_empty())
                .map(|(i, _)| i + 1)
                .collect();
            let mut lines = BatchLines::new(text);
            let mut got = Vec::new();
            while let Some((n, _)) = lines.next_into(&mut m) {
                got.push(n);
            }
            assert_eq!(got, want, "{text:?}");
        }
    }

    #[test]
    fn numbers() {
        // The original parse_u32, as the reference.
        fn reference(s: &str) -> Option<u32> {
            if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                return u32::from_str_radix(hex, 16).ok();
            }
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            s.parse().ok()
        }
        let mut rng = Rng(7);
        let alphabet: Vec<char> = "0123456789abcdefxX+- \u{e9}".chars().collect();
        for _ in 0..50_000 {
            let s: String = (0..rng.below(12))
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            let s = if rng.below(3) == 0 {
                format!("0x{s}")
            } else {
                s
            };
            assert_eq!(parse_u32(&s), reference(&s), "{s:?}");
        }
        for s in [
            "4294967295",
            "4294967296",
            "0xffffffff",
            "0x100000000",
            "0x000000001",
            "00",
        ] {
            assert_eq!(parse_u32(s), reference(s), "{s:?}");
        }
    }

    /// The IFLA_INFO_DATA nest of `link add` with every option, from the command line to the
    /// bytes, spelled out (little-endian host).
    #[test]
    #[cfg(target_endian = "little")]
    fn link_add_info_data_bytes() {
        let line = "link add lisp0 mtu 1400 port 4342 local 10.0.0.1 iid 7 external ttl 64 \
                    tos 0x10 noudpcsum nonce nosrccheck mapmax 1000";
        let words: Vec<&str> = line.split_whitespace().collect();
        let Ok(Command::LinkAdd { name, mtu, config }) = parse_command(&words) else {
            panic!("{line}")
        };
        let r = wire::link_new(&name, mtu, &config);
        #[rustfmt::skip]
        let data: &[u8] = &[
            84, 0, 2, 0,                    // IFLA_INFO_DATA, 4 + 10 * 8 bytes
            6, 0, 1, 0, 0x10, 0xf6, 0, 0,   // IFLA_LISP_PORT 4342, network order
            8, 0, 2, 0, 10, 0, 0, 1,        // IFLA_LISP_LOCAL 10.0.0.1
            8, 0, 3, 0, 7, 0, 0, 0,         // IFLA_LISP_IID 7, host order
            5, 0, 4, 0, 64, 0, 0, 0,        // IFLA_LISP_TTL 64
            5, 0, 5, 0, 0x10, 0, 0, 0,      // IFLA_LISP_TOS 0x10
            5, 0, 6, 0, 1, 0, 0, 0,         // IFLA_LISP_EXTERNAL 1
            5, 0, 7, 0, 0, 0, 0, 0,         // IFLA_LISP_UDP_CSUM 0
            5, 0, 8, 0, 1, 0, 0, 0,         // IFLA_LISP_NONCE 1
            5, 0, 9, 0, 0, 0, 0, 0,         // IFLA_LISP_SRC_CHECK 0
            8, 0, 10, 0, 0xe8, 3, 0, 0,     // IFLA_LISP_MAP_MAX 1000, host order
        ];
        #[rustfmt::skip]
        let linkinfo: &[u8] = &[
            100, 0, 18, 0,                  // IFLA_LINKINFO, 4 + 12 + 84 bytes
            9, 0, 1, 0, b'l', b'i', b's', b'p', 0, 0, 0, 0, // IFLA_INFO_KIND "lisp"
        ];
        let want_attrs = [
            &a(libc_ifla::IFNAME, b"lisp0\0")[..],
            &a(libc_ifla::MTU, &1400u32.to_ne_bytes()),
            linkinfo,
            data,
        ]
        .concat();
        // nlmsghdr, ifinfomsg (AF_UNSPEC, index 0), then the attributes.
        assert_eq!(r.bytes.len(), 16 + 16 + want_attrs.len());
        assert_eq!(&r.bytes[..4], &(r.bytes.len() as u32).to_ne_bytes());
        assert_eq!(&r.bytes[4..6], &16u16.to_ne_bytes());
        let flags = (NlmF::REQUEST | NlmF::ACK | NlmF::CREATE | NlmF::EXCL).bits();
        assert_eq!(&r.bytes[6..8], &flags.to_ne_bytes());
        assert_eq!(&r.bytes[16..32], &[0u8; 16]);
        assert_eq!(&r.bytes[32..], &want_attrs[..]);
        // The same with the independent encoder.
        let want = a(
            libc_ifla::LINKINFO,
            &[
                a(1, b"lisp\0"),
                a(
                    2,
                    &[
                        a(IFLA_LISP_PORT, &4342u16.to_be_bytes()),
                        a(IFLA_LISP_LOCAL, &[10, 0, 0, 1]),
                        a(IFLA_LISP_IID, &7u32.to_ne_bytes()),
                        a(IFLA_LISP_TTL, &[64]),
                        a(IFLA_LISP_TOS, &[0x10]),
                        a(IFLA_LISP_EXTERNAL, &[1]),
                        a(IFLA_LISP_UDP_CSUM, &[0]),
                        a(IFLA_LISP_NONCE, &[1]),
                        a(IFLA_LISP_SRC_CHECK, &[0]),
                        a(IFLA_LISP_MAP_MAX, &1000u32.to_ne_bytes()),
                    ]
                    .concat(),
                ),
            ]
            .concat(),
        );
        assert_eq!(&r.bytes[r.bytes.len() - want.len()..], &want[..]);
        // And it parses back.
        assert_eq!(wire::parse_info_data(&data[4..]).unwrap(), config);
    }
}
