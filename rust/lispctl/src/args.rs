// SPDX-License-Identifier: GPL-2.0

//! The command line grammar, `ip` style: global options, then OBJECT COMMAND and keyword/value
//! pairs. Everything is validated here, before anything is sent, and errors quote the bad token.
//! Command lines and batch lines go through the same parser; it allocates nothing for map
//! changes (a batch may hold millions) and borrows the words it is given.

use std::net::IpAddr;

use lisp_uapi::*;

use crate::model::{parse_ip, Action, LinkConfig, MapEntry, Origin, Prefix, Rloc};

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
// One per run: boxing the command would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Invocation<'a> {
    /// Bare `lispctl`: print the usage, fail.
    Usage,
    /// Run the commands of a file (`-` for standard input).
    Batch(&'a str),
    Run(Command<'a>),
}

/// A map change: `map add` (NLM_F_EXCL), `map replace` (NLM_F_REPLACE) or `map del`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Add,
    Replace,
    Del,
}

impl Op {
    /// The LISP_CMD_* and whether it replaces.
    pub fn cmd(self) -> (u8, bool) {
        match self {
            Op::Add => (LISP_CMD_MAP_ADD, false),
            Op::Replace => (LISP_CMD_MAP_ADD, true),
            Op::Del => (LISP_CMD_MAP_DEL, false),
        }
    }
}

/// One command, as on the command line or a batch line; names borrow the words parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command<'a> {
    Help(Option<Topic>),
    LinkAdd {
        name: &'a str,
        mtu: Option<u32>,
        /// IFLA_INFO_DATA: the options given.
        config: LinkConfig,
    },
    /// `link set`: a change of the options given (never port, local address, external mode).
    LinkSet {
        name: &'a str,
        config: LinkConfig,
    },
    LinkDel {
        name: &'a str,
    },
    LinkShow {
        name: Option<&'a str>,
    },
    /// `map add`/`replace` (an entry) or `map del` (the key of one).
    MapChange {
        op: Op,
        dev: &'a str,
        entry: MapEntry,
    },
    /// Exact entry (prefix and instance ID).
    MapGet {
        dev: &'a str,
        key: MapEntry,
    },
    /// Longest match of one address, and the locator a flow with `hash` would use.
    MapLookup {
        dev: &'a str,
        addr: IpAddr,
        iid: Option<u32>,
        hash: u32,
    },
    MapShow {
        dev: &'a str,
        iid: Option<u32>,
    },
    MapFlush {
        dev: &'a str,
        iid: Option<u32>,
    },
    Stats {
        dev: Option<&'a str>,
    },
    Monitor,
}

/// Parses the arguments after the program name.
pub fn parse_invocation<'a, S: AsRef<str>>(
    args: &'a [S],
) -> Result<(Opts, Invocation<'a>), String> {
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
                    Some(f) => batch = Some(*f),
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
    Ok((opts, Invocation::Run(parse_command(rest.iter().copied())?)))
}

/// Parses `OBJECT COMMAND ...` (a command line after the options, or a batch line).
pub fn parse_command<'a>(mut words: impl Iterator<Item = &'a str>) -> Result<Command<'a>, String> {
    let object = words.next().ok_or("missing object")?;
    parse_object(object, &mut words)
}

/// `parse_command` of `object` and the words after it.
pub fn parse_object<'a, W: Iterator<Item = &'a str>>(
    object: &str,
    words: &mut W,
) -> Result<Command<'a>, String> {
    let mut w = Words(words);
    match object {
        "link" => parse_link(w),
        "map" => parse_map(w),
        "stats" => {
            let mut dev = None;
            let mut first = true;
            while let Some(word) = w.next() {
                match word {
                    "help" if first => return Ok(Command::Help(Some(Topic::Stats))),
                    "dev" => dev = Some(dev_name(w.value(&dev, "dev")?)?),
                    other => return Err(unknown(other)),
                }
                first = false;
            }
            Ok(Command::Stats { dev })
        }
        "monitor" => match w.next() {
            None => Ok(Command::Monitor),
            Some("help") => Ok(Command::Help(Some(Topic::Monitor))),
            Some(w) => Err(unknown(w)),
        },
        "help" => match (w.next(), w.next()) {
            (None, _) => Ok(Command::Help(None)),
            (Some(t), None) => Ok(Command::Help(Some(topic(t)?))),
            (Some(_), Some(w)) => Err(unknown(w)),
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

fn duplicate(kw: &str) -> String {
    format!("duplicate keyword \"{kw}\"")
}

/// The words of one command after OBJECT.
struct Words<'w, W>(&'w mut W);

impl<'a, W: Iterator<Item = &'a str>> Words<'_, W> {
    #[inline(always)]
    fn next(&mut self) -> Option<&'a str> {
        W::next(self.0)
    }

    /// The value after keyword `kw`, whose `slot` must still be empty (no keyword twice).
    #[inline(always)]
    fn value<T>(&mut self, slot: &Option<T>, kw: &str) -> Result<&'a str, String> {
        if slot.is_some() {
            return Err(duplicate(kw));
        }
        self.arg(kw)
    }

    /// The value after keyword `kw`.
    #[inline(always)]
    fn arg(&mut self, kw: &str) -> Result<&'a str, String> {
        self.next()
            .ok_or_else(|| format!("missing argument for \"{kw}\""))
    }
}

/// Decimal, or hexadecimal with `0x`.
fn parse_u32(s: &str) -> Option<u32> {
    match s.as_bytes() {
        [b'0', b'x' | b'X', hex @ ..] if !hex.is_empty() => hex.iter().try_fold(0u32, |v, &b| {
            v.checked_mul(16)?.checked_add((b as char).to_digit(16)?)
        }),
        [] => None,
        digits => digits.iter().try_fold(0u32, |v, &b| {
            let d = b.wrapping_sub(b'0');
            (d < 10).then_some(())?;
            v.checked_mul(10)?.checked_add(u32::from(d))
        }),
    }
}

/// A number of `what`, at most `max`.
fn number(what: &str, s: &str, max: u32) -> Result<u32, String> {
    match parse_u32(s) {
        Some(v) if v <= max => Ok(v),
        _ => Err(format!("invalid {what} \"{s}\"")),
    }
}

/// A keyword's value that must be one of `ok` (inclusive range of `number`).
fn number_in(what: &str, s: &str, ok: std::ops::RangeInclusive<u32>) -> Result<u32, String> {
    match parse_u32(s) {
        Some(v) if ok.contains(&v) => Ok(v),
        _ => Err(format!("invalid {what} \"{s}\"")),
    }
}

fn iid(s: &str) -> Result<u32, String> {
    number("iid", s, LISP_IID_MAX)
}

/// A device name the kernel would accept (`dev_valid_name()`).
#[inline]
fn dev_name(s: &str) -> Result<&str, String> {
    // Printable ASCII, the usual, needs no look at the characters.
    let plain = |c: u8| (0x21..0x7f).contains(&c) && c != b'/' && c != b':';
    let ok = (1..16).contains(&s.len())
        && s != "."
        && s != ".."
        && (s.bytes().all(plain) || !s.chars().any(|c| c == '/' || c == ':' || c.is_whitespace()));
    if ok {
        Ok(s)
    } else {
        Err(format!("invalid device name \"{s}\""))
    }
}

fn need_dev(dev: Option<&str>) -> Result<&str, String> {
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

fn parse_link<'a>(mut w: Words<'_, impl Iterator<Item = &'a str>>) -> Result<Command<'a>, String> {
    let cmd = match w.next().ok_or("missing link command")? {
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
    let mut name = None;
    let mut mtu = None;
    let mut c = LinkConfig::default();
    while let Some(word) = w.next() {
        match word {
            "mtu" if add => {
                let v = w.value(&mtu, "mtu")?;
                mtu = Some(number_in("mtu", v, LISP_MIN_MTU..=LISP_MAX_MTU)?);
            }
            "port" | "local" | "external" if set => {
                return Err(format!(
                    "\"{word}\" is fixed at creation: delete and re-create the device"
                ));
            }
            "port" if add => {
                c.port = Some(number_in("port", w.value(&c.port, "port")?, 1..=65535)? as u16)
            }
            "local" if add => c.local = Some(local_addr(w.value(&c.local, "local")?)?),
            "external" if add => {
                if c.external.is_some() {
                    return Err(duplicate(word));
                }
                c.external = Some(true);
            }
            "iid" if options => c.iid = Some(iid(w.value(&c.iid, "iid")?)?),
            "ttl" if options => c.ttl = Some(link_ttl(w.value(&c.ttl, "ttl")?)?),
            "tos" if options => c.tos = Some(link_tos(w.value(&c.tos, "tos")?)?),
            "udpcsum" | "noudpcsum" if options => switch(&mut c.udp_csum, word, "udpcsum")?,
            "nonce" | "nononce" if options => switch(&mut c.nonce, word, "nonce")?,
            "srccheck" | "nosrccheck" if options => switch(&mut c.src_check, word, "srccheck")?,
            "mapmax" if options => {
                c.map_max = Some(number("mapmax", w.value(&c.map_max, "mapmax")?, u32::MAX)?)
            }
            "dev" if cmd == LinkCmd::Show || set => name = Some(dev_name(w.value(&name, "dev")?)?),
            other if name.is_none() => name = Some(dev_name(other)?),
            other => return Err(unknown(other)),
        }
    }
    let named = || name.ok_or("missing device name");
    match cmd {
        LinkCmd::Add => Ok(Command::LinkAdd {
            name: named()?,
            mtu,
            config: c,
        }),
        LinkCmd::Set => {
            let name = named()?;
            if c.is_empty() {
                return Err(
                    "nothing to set (iid, ttl, tos, [no]udpcsum, [no]nonce, [no]srccheck or mapmax)"
                        .to_string(),
                );
            }
            Ok(Command::LinkSet { name, config: c })
        }
        LinkCmd::Del => Ok(Command::LinkDel { name: named()? }),
        LinkCmd::Show => Ok(Command::LinkShow { name }),
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
    match s {
        "inherit" => Ok(0),
        _ => Ok(number_in("ttl", s, 1..=255)? as u8),
    }
}

/// `inherit` (LISP_TOS_INHERIT on the wire) or a fixed TOS, 0-255 but LISP_TOS_INHERIT, which
/// cannot be a fixed value.
fn link_tos(s: &str) -> Result<u8, String> {
    match (s, parse_u32(s)) {
        ("inherit", _) => Ok(LISP_TOS_INHERIT),
        (_, Some(t)) if t <= 255 && t != u32::from(LISP_TOS_INHERIT) => Ok(t as u8),
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
        Some(v) if v == value => Err(duplicate(word)),
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

#[inline]
fn parse_map<'a>(mut w: Words<'_, impl Iterator<Item = &'a str>>) -> Result<Command<'a>, String> {
    let op = match w.next().ok_or("missing map command")? {
        "add" => Op::Add,
        "replace" => Op::Replace,
        "del" | "delete" => Op::Del,
        "get" => return parse_map_get(w),
        cmd @ ("show" | "list" | "flush") => {
            let (mut dev, mut id) = (None, None);
            while let Some(word) = w.next() {
                match word {
                    "iid" => id = Some(iid(w.value(&id, "iid")?)?),
                    "dev" => dev = Some(dev_name(w.value(&dev, "dev")?)?),
                    other => return Err(unknown(other)),
                }
            }
            let dev = need_dev(dev)?;
            return Ok(if cmd == "flush" {
                Command::MapFlush { dev, iid: id }
            } else {
                Command::MapShow { dev, iid: id }
            });
        }
        "help" => return Ok(Command::Help(Some(Topic::Map))),
        other => return Err(format!("unknown command \"{other}\"")),
    };
    let set = op != Op::Del;
    let mut dev = None;
    let mut prefix = None;
    let none = Prefix {
        addr: IpAddr::from([0u8; 4]),
        len: 0,
    };
    let mut e = MapEntry::key(none, None);
    // Keywords given for the current rloc: priority, weight, down.
    let mut rloc_seen = [false; 3];
    while let Some(word) = w.next() {
        match word {
            "iid" => e.iid = Some(iid(w.value(&e.iid, "iid")?)?),
            "dev" => dev = Some(dev_name(w.value(&dev, "dev")?)?),
            "ttl" if set => e.ttl = Some(number("ttl", w.value(&e.ttl, "ttl")?, u32::MAX)?),
            "action" if set => {
                let v = w.value(&e.action, "action")?;
                e.action = Some(Action::parse(v).ok_or_else(|| format!("invalid action \"{v}\""))?);
            }
            "proto" if set => {
                let v = w.value(&e.origin, "proto")?;
                // A number, as `ip route` takes: the kernel says which ones it knows.
                let o = Origin::parse(v)
                    .or_else(|| Some(Origin::from_value(parse_u32(v)?.try_into().ok()?)));
                e.origin = Some(o.ok_or_else(|| format!("invalid proto \"{v}\""))?);
            }
            "rloc" if set => {
                let v = w.arg("rloc")?;
                let addr = parse_ip(v).ok_or_else(|| format!("invalid RLOC address \"{v}\""))?;
                if e.rlocs.iter().any(|r| r.addr == addr) {
                    return Err(format!("duplicate rloc \"{v}\""));
                }
                if e.rlocs.len() == LISP_MAX_RLOCS {
                    return Err(format!("too many rlocs (at most {LISP_MAX_RLOCS})"));
                }
                e.rlocs.push(Rloc::new(addr));
                rloc_seen = [false; 3];
            }
            "priority" | "weight" | "down" if set => {
                let Some(rloc) = e.rlocs.last_mut() else {
                    return Err(format!("\"{word}\" must follow an rloc"));
                };
                let k = ["priority", "weight", "down"]
                    .iter()
                    .position(|k| *k == word);
                let seen = &mut rloc_seen[k.expect("one of them")];
                if std::mem::replace(seen, true) {
                    return Err(duplicate(word));
                }
                match word {
                    "down" => rloc.up = false,
                    "priority" => rloc.priority = number("priority", w.arg(word)?, 255)? as u8,
                    _ => {
                        rloc.weight = number("weight", w.arg(word)?, LISP_WEIGHT_MAX.into())? as u8
                    }
                }
            }
            other if prefix.is_none() => prefix = Some(eid_prefix(other)?),
            other => return Err(unknown(other)),
        }
    }
    e.prefix = prefix.ok_or("missing EID prefix")?;
    let dev = need_dev(dev)?;
    if set && e.rlocs.is_empty() && e.action.is_none() {
        return Err("an entry needs at least one rloc or an action".into());
    }
    if !e.rlocs.is_empty() && e.action.is_some() {
        return Err("an entry with rlocs cannot have an action".into());
    }
    Ok(Command::MapChange { op, dev, entry: e })
}

fn eid_prefix(s: &str) -> Result<Prefix, String> {
    Prefix::parse(s, true).ok_or_else(|| format!("invalid EID prefix \"{s}\""))
}

fn parse_map_get<'a>(
    mut w: Words<'_, impl Iterator<Item = &'a str>>,
) -> Result<Command<'a>, String> {
    let (mut dev, mut id, mut hash) = (None, None, None);
    // Err(prefix) for an exact get, Ok(address) for a lookup.
    let mut target: Option<Result<IpAddr, Prefix>> = None;
    while let Some(word) = w.next() {
        match word {
            "iid" => id = Some(iid(w.value(&id, "iid")?)?),
            "dev" => dev = Some(dev_name(w.value(&dev, "dev")?)?),
            "hash" => hash = Some(number("hash", w.value(&hash, "hash")?, u32::MAX)?),
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
        Err(_) if hash.is_some() => Err("\"hash\" needs an address, not a prefix".into()),
        Err(prefix) => Ok(Command::MapGet {
            dev,
            key: MapEntry::key(prefix, id),
        }),
    }
}

/// `char::is_whitespace` of ASCII, by bit: tab, LF, VT, FF, CR, space.
const SPACES: u64 = 1 << 9 | 1 << 10 | 1 << 11 | 1 << 12 | 1 << 13 | 1 << 32;

fn is_space(b: u8) -> bool {
    b <= b' ' && SPACES & (1 << b) != 0
}

/// The character at `s[i..]`, which is not ASCII: whether it is whitespace, and its length.
#[cold]
fn wide_space_at(s: &str, i: usize) -> (bool, usize) {
    let c = s[i..].chars().next().expect("not at the end");
    (c.is_whitespace(), c.len_utf8())
}

/// The words of the first line of a text, read one by one: `split_whitespace` up to a comment,
/// a word that starts with `#`. Plain ASCII, the usual, is scanned eight bytes at a time.
#[derive(Clone)]
pub struct LineWords<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> LineWords<'a> {
    pub fn new(text: &'a str) -> Self {
        LineWords { text, pos: 0 }
    }

    /// The line (without its `\n`) and the text after it.
    pub fn finish(self) -> (&'a str, &'a str) {
        let b = self.text.as_bytes();
        let end = match b.get(self.pos) {
            Some(b'\n') | None => self.pos,
            _ => self.text[self.pos..]
                .find('\n')
                .map_or(b.len(), |n| self.pos + n),
        };
        (&self.text[..end], self.text.get(end + 1..).unwrap_or(""))
    }
}

impl<'a> Iterator for LineWords<'a> {
    type Item = &'a str;

    #[inline(always)]
    fn next(&mut self) -> Option<&'a str> {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGHS: u64 = 0x8080_8080_8080_8080;
        let (text, b) = (self.text, self.text.as_bytes());
        let mut i = self.pos;
        // Between words; the end of the line or a comment ends them.
        loop {
            match b.get(i) {
                None | Some(b'\n' | b'#') => {
                    self.pos = i;
                    return None;
                }
                Some(&c) if is_space(c) => i += 1,
                Some(&c) if c >= 0x80 && wide_space_at(text, i).0 => i += wide_space_at(text, i).1,
                Some(_) => break,
            }
        }
        let start = i;
        loop {
            // Up to the next byte below 0x21 or above 0x7f: the lowest byte flagged is exactly
            // that one.
            while let Some(chunk) = b.get(i..i + 8) {
                let x = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
                let stop = (x.wrapping_sub(ONES * 0x21) | x) & HIGHS;
                i += stop.trailing_zeros() as usize / 8;
                if stop != 0 {
                    break;
                }
            }
            while b.get(i).is_some_and(|c| (0x21..0x80).contains(c)) {
                i += 1;
            }
            match b.get(i) {
                None => break,
                Some(&c) if c < 0x80 => {
                    if is_space(c) {
                        break;
                    }
                    // A control character that is no whitespace.
                    i += 1;
                }
                Some(_) => match wide_space_at(text, i) {
                    (true, _) => break,
                    (false, n) => i += n,
                },
            }
        }
        self.pos = i;
        Some(&text[start..i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire;
    use lisp_client::testutil::{a, libc_ifla};
    use neli::consts::nl::NlmF;

    fn cmd(line: &str) -> Result<Command<'_>, String> {
        parse_command(LineWords::new(line))
    }

    fn err(line: &str) -> String {
        cmd(line).expect_err(line)
    }

    /// Lines and their errors, as `LINE => ERROR`.
    fn errors(cases: &[&str]) {
        for case in cases {
            let (line, want) = case.split_once(" => ").expect(case);
            assert_eq!(err(line), want, "{line}");
        }
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
                dev: "lisp0",
                iid: None
            })
        );
        let (o, i) = parse_invocation(&["-json", "-batch", "-"]).unwrap();
        assert!(o.json && !o.pretty);
        assert_eq!(i, Invocation::Batch("-"));
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
            Command::MapChange {
                op: Op::Add,
                dev: "lisp0",
                entry: MapEntry {
                    prefix: Prefix {
                        addr: ip("10.1.0.0"),
                        len: 24
                    },
                    iid: Some(7),
                    rlocs: [
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
                    ]
                    .into_iter()
                    .collect(),
                    ttl: Some(300),
                    action: None,
                    origin: None,
                },
            }
        );
        let c = cmd("map replace dev lisp0 2001:db8:1::/48 action notify").unwrap();
        let Command::MapChange {
            op: Op::Replace,
            entry,
            ..
        } = c
        else {
            panic!("{c:?}")
        };
        assert_eq!(entry.action, Some(Action::Notify));
        assert!(entry.rlocs.is_empty());
        let c = cmd("map replace 10.0.0.0/8 rloc 1.1.1.1 proto lispd dev l").unwrap();
        let Command::MapChange { entry, .. } = c else {
            panic!("{c:?}")
        };
        assert_eq!(entry.origin, Some(Origin::Lispd));
        let c = cmd("map replace 10.0.0.0/8 rloc 1.1.1.1 proto 2 dev l").unwrap();
        let Command::MapChange { entry, .. } = c else {
            panic!("{c:?}")
        };
        assert_eq!(entry.origin, Some(Origin::Other(2)));
        // A bare address is a host prefix; limits are inclusive.
        let c = cmd("map add 10.0.0.1 iid 16777215 rloc 10.9.9.9 priority 255 weight 0 dev x");
        let Ok(Command::MapChange { entry, .. }) = c else {
            panic!("{c:?}")
        };
        assert_eq!(entry.prefix.len, 32);
        assert_eq!(entry.iid, Some(LISP_IID_MAX));
        assert_eq!((entry.rlocs[0].priority, entry.rlocs[0].weight), (255, 0));
    }

    #[test]
    fn map_add_errors() {
        errors(&[
            "map add 10.0.0.0/33 rloc 1.1.1.1 dev l => invalid EID prefix \"10.0.0.0/33\"",
            "map add 10.0.0.1/24 rloc 1.1.1.1 dev l => invalid EID prefix \"10.0.0.1/24\"",
            "map add ::/129 rloc 1.1.1.1 dev l => invalid EID prefix \"::/129\"",
            "map add 10.0.0.0/8 dev l => an entry needs at least one rloc or an action",
            "map add 10.0.0.0/8 rloc 1.1.1.1 action drop dev l => an entry with rlocs cannot have an action",
            "map add 10.0.0.0/8 rloc 1.1.1.1 priority 256 dev l => invalid priority \"256\"",
            "map add 10.0.0.0/8 rloc 1.1.1.1 weight 101 dev l => invalid weight \"101\"",
            "map add 10.0.0.0/8 rloc 1.1.1.1 weight -1 dev l => invalid weight \"-1\"",
            "map add 10.0.0.0/8 iid 16777216 rloc 1.1.1.1 dev l => invalid iid \"16777216\"",
            "map add 10.0.0.0/8 iid x rloc 1.1.1.1 dev l => invalid iid \"x\"",
            "map add 10.0.0.0/8 rloc 1.1.1 dev l => invalid RLOC address \"1.1.1\"",
            "map add 10.0.0.0/8 rloc 1.1.1.1 proto kernel dev l => invalid proto \"kernel\"",
            "map add 10.0.0.0/8 rloc 1.1.1.1 proto lispd proto static dev l => duplicate keyword \"proto\"",
            "map add 10.0.0.0/8 rloc 1.1.1.1 ttl 1e3 dev l => invalid ttl \"1e3\"",
            "map add 10.0.0.0/8 action reject dev l => invalid action \"reject\"",
            "map add 10.0.0.0/8 rloc 1.1.1.1 dev l dev m => duplicate keyword \"dev\"",
            "map add 10.0.0.0/8 iid 1 iid 2 rloc 1.1.1.1 dev l => duplicate keyword \"iid\"",
            "map add 10.0.0.0/8 rloc 1.1.1.1 priority 1 priority 2 dev l => duplicate keyword \"priority\"",
            "map add 10.0.0.0/8 rloc 1.1.1.1 down down dev l => duplicate keyword \"down\"",
            "map add 10.0.0.0/8 rloc 1.1.1.1 rloc 1.1.1.1 dev l => duplicate rloc \"1.1.1.1\"",
            "map add 10.0.0.0/8 priority 1 rloc 1.1.1.1 dev l => \"priority\" must follow an rloc",
            "map add 10.0.0.0/8 rloc 1.1.1.1 foo dev l => unknown keyword \"foo\"",
            "map add 10.0.0.0/8 rloc 1.1.1.1 => missing \"dev NAME\"",
            "map add rloc 1.1.1.1 dev l => missing EID prefix",
            "map add 10.0.0.0/8 rloc 1.1.1.1 dev => missing argument for \"dev\"",
            "map add 10.0.0.0/8 rloc => missing argument for \"rloc\"",
            "map add 10.0.0.0/8 rloc 1.1.1.1 dev a/b => invalid device name \"a/b\"",
            "map add 10.0.0.0/8 rloc 1.1.1.1 dev abcdefghijklmnop => invalid device name \"abcdefghijklmnop\"",
        ]);
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
            Command::MapChange {
                op: Op::Del,
                dev: "l",
                entry: MapEntry::key(Prefix::parse("10.0.0.0/8", false).unwrap(), Some(3))
            }
        );
        assert_eq!(
            cmd("map get 10.0.0.0/8 dev l").unwrap(),
            Command::MapGet {
                dev: "l",
                key: MapEntry::key(Prefix::parse("10.0.0.0/8", false).unwrap(), None)
            }
        );
        assert_eq!(
            cmd("map get 10.1.2.3 hash 0x10 dev l").unwrap(),
            Command::MapLookup {
                dev: "l",
                addr: ip("10.1.2.3"),
                iid: None,
                hash: 16
            }
        );
        assert_eq!(
            cmd("map get 2001:db8::5 iid 2 dev l").unwrap(),
            Command::MapLookup {
                dev: "l",
                addr: ip("2001:db8::5"),
                iid: Some(2),
                hash: 0
            }
        );
        assert_eq!(
            cmd("map show dev l").unwrap(),
            Command::MapShow {
                dev: "l",
                iid: None
            }
        );
        assert_eq!(
            cmd("map flush iid 5 dev l").unwrap(),
            Command::MapFlush {
                dev: "l",
                iid: Some(5)
            }
        );
        errors(&[
            "map del 10.0.0.0/8 rloc 1.1.1.1 dev l => unknown keyword \"rloc\"",
            "map del 10.0.0.0/8 => missing \"dev NAME\"",
            "map get 10.0.0.0/8 hash 1 dev l => \"hash\" needs an address, not a prefix",
            "map get 10.0.0.300 dev l => invalid EID address \"10.0.0.300\"",
            "map get 10.0.0.0/40 dev l => invalid EID prefix \"10.0.0.0/40\"",
            "map get 10.0.0.1 hash 4294967296 dev l => invalid hash \"4294967296\"",
            "map get dev l => missing EID prefix or address",
            "map show 10.0.0.0/8 dev l => unknown keyword \"10.0.0.0/8\"",
            "map show dev l iid 1 iid 1 => duplicate keyword \"iid\"",
            "map flush => missing \"dev NAME\"",
        ]);
    }

    #[test]
    fn link_stats_monitor() {
        assert_eq!(
            cmd("link add lisp0 mtu 1400").unwrap(),
            Command::LinkAdd {
                name: "lisp0",
                mtu: Some(1400),
                config: LinkConfig::default(),
            }
        );
        assert_eq!(
            cmd("link del lisp0").unwrap(),
            Command::LinkDel { name: "lisp0" }
        );
        assert_eq!(cmd("link show").unwrap(), Command::LinkShow { name: None });
        assert_eq!(
            cmd("link show dev lisp1").unwrap(),
            Command::LinkShow {
                name: Some("lisp1")
            }
        );
        assert_eq!(cmd("stats").unwrap(), Command::Stats { dev: None });
        assert_eq!(
            cmd("stats dev lisp0").unwrap(),
            Command::Stats { dev: Some("lisp0") }
        );
        assert_eq!(cmd("monitor").unwrap(), Command::Monitor);
        assert_eq!(cmd("help link").unwrap(), Command::Help(Some(Topic::Link)));
        errors(&[
            "link add lisp0 mtu 67 => invalid mtu \"67\"",
            "link add lisp0 mtu 65480 => invalid mtu \"65480\"",
            "link add lisp0 mtu 1400 mtu 1400 => duplicate keyword \"mtu\"",
            "link add => missing device name",
            "link add a b => unknown keyword \"b\"",
            "link del lisp0 mtu 1400 => unknown keyword \"mtu\"",
            "link show lisp0 dev lisp1 => duplicate keyword \"dev\"",
            "link frob => unknown command \"frob\"",
            "stats lisp0 => unknown keyword \"lisp0\"",
            "stats dev a dev b => duplicate keyword \"dev\"",
            "monitor foo => unknown keyword \"foo\"",
        ]);
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
                name: "lisp0",
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
                name: "lisp0",
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
                name: "l",
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
                name: "lisp1",
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
                name: "lisp0",
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
                name: "lisp0",
                config: LinkConfig {
                    ttl: Some(8),
                    ..LinkConfig::default()
                },
            }
        );
        errors(&[
            "link add l port 0 => invalid port \"0\"",
            "link add l port 65536 => invalid port \"65536\"",
            "link add l port http => invalid port \"http\"",
            "link add l iid 16777216 => invalid iid \"16777216\"",
            "link add l ttl 300 => invalid ttl \"300\"",
            "link add l ttl 0 => invalid ttl \"0\"",
            "link add l ttl -1 => invalid ttl \"-1\"",
            "link add l ttl inherited => invalid ttl \"inherited\"",
            "link add l tos 256 => invalid tos \"256\"",
            "link add l tos 1 => invalid tos \"1\"",
            "link add l tos 0x01 => invalid tos \"0x01\"",
            "link add l tos 0x => invalid tos \"0x\"",
            "link add l local 10.0.0 => invalid local address \"10.0.0\"",
            "link add l local 0.0.0.0 => invalid local address \"0.0.0.0\"",
            "link add l local 224.0.0.1 => invalid local address \"224.0.0.1\"",
            "link add l local 255.255.255.255 => invalid local address \"255.255.255.255\"",
            "link add l local :: => invalid local address \"::\"",
            "link add l local ff02::1 => invalid local address \"ff02::1\"",
            "link add l local 10.0.0.1/32 => invalid local address \"10.0.0.1/32\"",
            "link add l port 1 port 2 => duplicate keyword \"port\"",
            "link add l local 10.0.0.1 local 10.0.0.2 => duplicate keyword \"local\"",
            "link add l iid 1 iid 1 => duplicate keyword \"iid\"",
            "link add l ttl 1 ttl 2 => duplicate keyword \"ttl\"",
            "link add l tos 0 tos inherit => duplicate keyword \"tos\"",
            "link add l external external => duplicate keyword \"external\"",
            "link add l nonce nonce => duplicate keyword \"nonce\"",
            "link add l noudpcsum noudpcsum => duplicate keyword \"noudpcsum\"",
            "link add l udpcsum noudpcsum => \"noudpcsum\" conflicts with \"udpcsum\"",
            "link set l nononce nonce => \"nonce\" conflicts with \"nononce\"",
            "link add l ttl => missing argument for \"ttl\"",
            "link add l port => missing argument for \"port\"",
            "link add l noexternal => unknown keyword \"noexternal\"",
            "link add l nonce x => unknown keyword \"x\"",
            "link add a/b iid 1 => invalid device name \"a/b\"",
            "link add iid 1 => missing device name",
            "link set l port 4341 => \"port\" is fixed at creation: delete and re-create the device",
            "link set l local 10.0.0.1 => \"local\" is fixed at creation: delete and re-create the device",
            "link set l external => \"external\" is fixed at creation: delete and re-create the device",
            "link set l mtu 1400 => unknown keyword \"mtu\"",
            "link set l ttl 300 => invalid ttl \"300\"",
            "link set l iid 16777216 => invalid iid \"16777216\"",
            "link set l ttl 1 ttl 1 => duplicate keyword \"ttl\"",
            "link set l dev m ttl 1 => duplicate keyword \"dev\"",
            "link set l => nothing to set (iid, ttl, tos, [no]udpcsum, [no]nonce, [no]srccheck or mapmax)",
            "link set ttl 1 => missing device name",
            "link del l ttl 1 => unknown keyword \"ttl\"",
            "link show l nonce => unknown keyword \"nonce\"",
        ]);
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
    fn words_as_split_whitespace() {
        for b in 0..128u8 {
            assert_eq!(is_space(b), (b as char).is_whitespace(), "{b:#x}");
        }
        let pieces = [
            "map",
            "add",
            "10.0.0.0/8",
            "a#b",
            "#c",
            "#",
            "\u{e9}t\u{e9}",
            "x\x01y",
            "abcdefghijk",
            " ",
            "  ",
            "\t",
            "\r",
            "\x0b",
            "\x0c",
            "\u{a0}",
            "\u{2003}",
            "\u{85}",
            "\n",
        ];
        let mut x = 7u64;
        for _ in 0..20_000 {
            let line: String = (0..x % 13)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    pieces[(x % pieces.len() as u64) as usize]
                })
                .collect();
            let mut words = LineWords::new(&line);
            let got: Vec<&str> = words.by_ref().collect();
            let (first, rest) = words.finish();
            assert_eq!((first, rest), line.split_once('\n').unwrap_or((&line, "")));
            let want: Vec<&str> = first
                .split_whitespace()
                .take_while(|w| !w.starts_with('#'))
                .collect();
            assert_eq!(got, want, "{line:?}");
        }
    }

    /// The IFLA_INFO_DATA nest of `link add` with every option, from the command line to the
    /// bytes, spelled out (little-endian host).
    #[test]
    #[cfg(target_endian = "little")]
    fn link_add_info_data_bytes() {
        let line = "link add lisp0 mtu 1400 port 4342 local 10.0.0.1 iid 7 external ttl 64 \
                    tos 0x10 noudpcsum nonce nosrccheck mapmax 1000";
        let Ok(Command::LinkAdd { name, mtu, config }) = parse_command(line.split_whitespace())
        else {
            panic!("{line}")
        };
        let r = wire::link_new(name, mtu, &config);
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
        assert_eq!(r.len(), 16 + 16 + want_attrs.len());
        assert_eq!(&r[..4], &(r.len() as u32).to_ne_bytes());
        assert_eq!(&r[4..6], &16u16.to_ne_bytes());
        let flags = (NlmF::REQUEST | NlmF::ACK | NlmF::CREATE | NlmF::EXCL).bits();
        assert_eq!(&r[6..8], &flags.to_ne_bytes());
        assert_eq!(&r[16..32], &[0u8; 16]);
        assert_eq!(&r[32..], &want_attrs[..]);
        // And it parses back.
        assert_eq!(wire::parse_info_data(&data[4..]).unwrap(), config);
    }
}
