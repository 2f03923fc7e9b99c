// SPDX-License-Identifier: GPL-2.0

//! One printer for text and JSON: each object is described once, as a view whose fields are the
//! JSON (serde) and whose `text` spells the same fields `ip` style. Lists are streamed (a dump of
//! a million entries is never held in memory).

use std::fmt::{Display, Write as _};
use std::io::{self, Write};

use lisp_uapi::LISP_TOS_INHERIT;
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::model::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Text,
    Json { pretty: bool },
}

/// An object as printed: its JSON through serde, its text through `text`.
pub trait Show: Serialize {
    /// The text, without the final newline.
    fn text(&self, t: &mut Text);
}

/// Text output: words separated by spaces; `indent` starts a continuation line.
#[derive(Default)]
pub struct Text(String);

impl Text {
    pub fn word(&mut self, w: impl Display) {
        if !self.0.is_empty() && !self.0.ends_with('\t') {
            self.0.push(' ');
        }
        let _ = write!(self.0, "{w}");
    }

    /// `label value`, or nothing without a value.
    pub fn pair(&mut self, label: &str, v: Option<impl Display>) {
        if let Some(v) = v {
            self.word(label);
            self.word(v);
        }
    }

    pub fn indent(&mut self) {
        self.0.push_str("\n\t");
    }
}

pub struct Printer<'w> {
    out: &'w mut dyn Write,
    mode: Mode,
    /// Items printed into the open array; `None` outside one.
    array: Option<usize>,
    err: Option<io::Error>,
}

impl<'w> Printer<'w> {
    pub fn new(out: &'w mut dyn Write, mode: Mode) -> Self {
        Printer {
            out,
            mode,
            array: None,
            err: None,
        }
    }

    /// Text written as is, in either mode (help).
    pub fn verbatim(&mut self, s: &str) {
        self.raw(s.as_bytes());
    }

    /// JSON without indentation from now on (monitor: one object per line).
    pub fn compact(&mut self) {
        if let Mode::Json { .. } = self.mode {
            self.mode = Mode::Json { pretty: false };
        }
    }

    fn raw(&mut self, b: &[u8]) {
        if self.err.is_none() {
            if let Err(e) = self.out.write_all(b) {
                self.err = Some(e);
            }
        }
    }

    /// The first write error, and a flush.
    pub fn flush(&mut self) -> io::Result<()> {
        if let Some(e) = self.err.take() {
            return Err(e);
        }
        self.out.flush()
    }

    /// Opens the list the next items go to: a JSON array, nothing in text.
    pub fn open_array(&mut self) {
        if let Mode::Json { .. } = self.mode {
            self.raw(b"[");
            self.array = Some(0);
        }
    }

    pub fn close_array(&mut self) {
        if let Some(n) = self.array.take() {
            let pretty = self.mode == Mode::Json { pretty: true };
            self.raw(if pretty && n > 0 { b"\n]\n" } else { b"]\n" });
        }
    }

    /// One object: an element of the open array, or a line of its own.
    pub fn item(&mut self, x: &impl Show) {
        let pretty = match self.mode {
            Mode::Text => {
                let mut t = Text::default();
                x.text(&mut t);
                t.0.push('\n');
                return self.raw(t.0.as_bytes());
            }
            Mode::Json { pretty } => pretty,
        };
        let mut json = Vec::new();
        let r = if pretty {
            let f = serde_json::ser::PrettyFormatter::with_indent(b"    ");
            x.serialize(&mut serde_json::Serializer::with_formatter(&mut json, f))
        } else {
            serde_json::to_writer(&mut json, x)
        };
        r.expect("views serialize to memory");
        let Some(n) = self.array.as_mut() else {
            json.push(b'\n');
            return self.raw(&json);
        };
        let sep: &[u8] = if *n > 0 { b"," } else { b"" };
        *n += 1;
        self.raw(sep);
        if pretty {
            // Inside the array: one level deeper (JSON strings hold no raw newline).
            let json = String::from_utf8(json).expect("serde_json writes UTF-8");
            self.raw(format!("\n    {}", json.replace('\n', "\n    ")).as_bytes());
        } else {
            self.raw(&json);
        }
    }
}

// ---- The objects ----

fn name_or_none(n: &Option<String>) -> &str {
    n.as_deref().unwrap_or("(none)")
}

/// A locator as printed: `rloc ADDR priority P weight W up|down`.
#[derive(Serialize)]
struct RlocView {
    addr: String,
    priority: u8,
    weight: u8,
    up: bool,
}

/// A map-cache entry. Text: `10.1.0.0/24 iid 0 dev lisp0 ttl 300 expires 297` and one indented
/// line per RLOC; `proto lispd` after the device for learned entries, `used` before the RLOCs
/// for used ones. JSON: ifname, ifindex, iid, eid, origin, ttl, expires, action, used, rlocs (and
/// selected_rloc for a lookup).
#[derive(Serialize)]
pub struct Entry<'a> {
    ifname: &'a str,
    ifindex: Option<u32>,
    iid: Option<u32>,
    eid: String,
    origin: Option<String>,
    ttl: Option<u32>,
    expires: Option<u32>,
    action: Option<String>,
    used: Option<bool>,
    rlocs: Vec<RlocView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    selected_rloc: Option<Option<u32>>,
    #[serde(skip)]
    selected_addr: Option<String>,
}

impl<'a> Entry<'a> {
    /// `e`, with the locator selected when `lookup`.
    pub fn new(e: &'a EntryInfo, lookup: bool) -> Self {
        let selected = e.selected.and_then(|i| e.rlocs.get(i as usize));
        Entry {
            ifname: name_or_none(&e.ifname),
            ifindex: e.ifindex,
            iid: e.iid,
            eid: e.prefix.map_or("(none)".into(), |p| p.to_string()),
            origin: e.origin.map(Origin::name),
            ttl: e.ttl,
            expires: e.expires,
            action: e.action.map(Action::name_of),
            used: e.used,
            rlocs: (e.rlocs.iter())
                .map(|r| RlocView {
                    addr: r.addr.to_string(),
                    priority: r.priority,
                    weight: r.weight,
                    up: r.up,
                })
                .collect(),
            selected_rloc: lookup.then_some(e.selected),
            selected_addr: lookup.then(|| selected.map_or("(none)".into(), |r| r.addr.to_string())),
        }
    }
}

impl Show for Entry<'_> {
    fn text(&self, t: &mut Text) {
        t.word(&self.eid);
        t.pair("iid", self.iid);
        t.pair("dev", Some(self.ifname));
        // Text marks only what differs from an operator's entry.
        t.pair("proto", self.origin.as_ref().filter(|o| *o != "static"));
        t.pair("ttl", self.ttl);
        t.pair("expires", self.expires);
        t.pair("action", self.action.as_ref());
        if self.used == Some(true) {
            t.word("used");
        }
        for r in &self.rlocs {
            t.indent();
            t.pair("rloc", Some(&r.addr));
            t.pair("priority", Some(r.priority));
            t.pair("weight", Some(r.weight));
            t.word(if r.up { "up" } else { "down" });
        }
        if let Some(a) = &self.selected_addr {
            t.indent();
            t.pair("selected rloc", Some(a));
        }
    }
}

/// "inherit" for `inherit`, else the number (JSON of a TTL or TOS).
fn inherit_or(v: Option<u8>, inherit: u8) -> Value {
    match v {
        Some(v) if v == inherit => "inherit".into(),
        v => v.into(),
    }
}

/// `link show`: `lisp0 ifindex 5 iid 0 port 4341 local 10.0.0.1 ttl inherit tos inherit udpcsum
/// nonce off external off srccheck off maps 3 mapmax 0 mtu 1444 state UP` (`local` only when
/// set; what the kernel did not report is left out). JSON: ifname, ifindex, iid, port, local, ttl
/// and tos ("inherit" or a number), udp_csum, nonce, external, src_check, map_count, map_max (0:
/// no limit), mtu, operstate; null when not reported.
#[derive(Serialize)]
pub struct Link<'a> {
    ifname: &'a str,
    ifindex: u64,
    iid: Option<u32>,
    port: Option<u16>,
    local: Option<String>,
    ttl: Value,
    tos: Value,
    udp_csum: Option<bool>,
    nonce: Option<bool>,
    external: Option<bool>,
    src_check: Option<bool>,
    map_count: Option<u32>,
    map_max: Option<u32>,
    mtu: Option<u32>,
    operstate: Option<String>,
}

impl<'a> Link<'a> {
    pub fn new(l: &'a LinkInfo) -> Self {
        let c = &l.config;
        Link {
            ifname: name_or_none(&l.ifname),
            ifindex: u64::try_from(l.ifindex).unwrap_or(0),
            iid: c.iid,
            port: c.port,
            local: c.local.map(|a| a.to_string()),
            ttl: inherit_or(c.ttl, 0),
            tos: inherit_or(c.tos, LISP_TOS_INHERIT),
            udp_csum: c.udp_csum,
            nonce: c.nonce,
            external: c.external,
            src_check: c.src_check,
            map_count: l.map_count,
            map_max: c.map_max,
            mtu: l.mtu,
            operstate: l.operstate.map(operstate_name),
        }
    }
}

impl Show for Link<'_> {
    fn text(&self, t: &mut Text) {
        let on_off = |v: Option<bool>| v.map(|v| if v { "on" } else { "off" });
        t.word(self.ifname);
        t.pair("ifindex", Some(self.ifindex));
        t.pair("iid", self.iid);
        t.pair("port", self.port);
        t.pair("local", self.local.as_ref());
        let ttl = self.ttl.as_u64().map(|v| v.to_string());
        t.pair("ttl", self.ttl.as_str().map(str::to_string).or(ttl));
        // Hexadecimal, as `ip` prints a TOS.
        let tos = self.tos.as_u64().map(|v| format!("{v:#x}"));
        t.pair("tos", self.tos.as_str().map(str::to_string).or(tos));
        if let Some(v) = self.udp_csum {
            t.word(if v { "udpcsum" } else { "noudpcsum" });
        }
        t.pair("nonce", on_off(self.nonce));
        t.pair("external", on_off(self.external));
        t.pair("srccheck", on_off(self.src_check));
        t.pair("maps", self.map_count);
        t.pair("mapmax", self.map_max);
        t.pair("mtu", self.mtu);
        t.pair("state", self.operstate.as_ref());
    }
}

/// `stats`: the device, then one indented `name value` line per counter; JSON
/// `{"ifname":..,"ifindex":..,"stats":{"tx_packets":0,...}}`.
#[derive(Serialize)]
pub struct Stats<'a> {
    ifname: &'a str,
    ifindex: Option<u32>,
    #[serde(serialize_with = "as_map")]
    stats: Vec<(String, u64)>,
}

fn as_map<S: Serializer>(v: &[(String, u64)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(v.iter().map(|(k, v)| (k, v)))
}

impl<'a> Stats<'a> {
    pub fn new(d: &'a DevInfo) -> Self {
        Stats {
            ifname: name_or_none(&d.ifname),
            ifindex: d.ifindex,
            stats: d.stats.iter().map(|&(ty, v)| (stat_name(ty), v)).collect(),
        }
    }
}

impl Show for Stats<'_> {
    fn text(&self, t: &mut Text) {
        t.word(self.ifname);
        t.pair("ifindex", self.ifindex);
        for (name, v) in &self.stats {
            t.indent();
            t.pair(name, Some(v));
        }
    }
}

/// A cache miss: `miss 10.9.9.9 iid 0 dev lisp0`.
#[derive(Serialize)]
pub struct Miss<'a> {
    ifname: &'a str,
    ifindex: Option<u32>,
    iid: Option<u32>,
    eid: String,
}

/// One event of `monitor`: `{"event":"map_add"|"map_del"|"miss"|"overrun", ...}`; text `add`,
/// `del` or `miss` before the entry or address, or `overrun (events lost)`.
#[derive(Serialize)]
pub struct EventView<'a> {
    event: &'static str,
    #[serde(flatten)]
    entry: Option<Entry<'a>>,
    #[serde(flatten)]
    miss: Option<Miss<'a>>,
}

impl<'a> EventView<'a> {
    pub fn new(ev: &'a Event) -> Self {
        let (event, entry, miss) = match ev {
            Event::MapAdd(e) => ("map_add", Some(Entry::new(e, false)), None),
            Event::MapDel(e) => ("map_del", Some(Entry::new(e, false)), None),
            Event::Miss(m) => {
                let miss = Miss {
                    ifname: name_or_none(&m.ifname),
                    ifindex: m.ifindex,
                    iid: m.iid,
                    eid: m.eid.map_or("(none)".into(), |a| a.to_string()),
                };
                ("miss", None, Some(miss))
            }
            Event::Overrun => ("overrun", None, None),
        };
        EventView { event, entry, miss }
    }
}

impl Show for EventView<'_> {
    fn text(&self, t: &mut Text) {
        match (&self.entry, &self.miss) {
            (Some(e), _) => {
                t.word(&self.event[4..]);
                e.text(t);
            }
            (_, Some(m)) => {
                t.word("miss");
                t.word(&m.eid);
                t.pair("iid", m.iid);
                t.pair("dev", Some(m.ifname));
            }
            _ => t.word("overrun (events lost)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lisp_uapi::*;
    use std::net::IpAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// A whole `map show`/`map get` result: an array of entries.
    fn print_entries(p: &mut Printer, entries: &[EntryInfo], lookup: bool) {
        p.open_array();
        for e in entries {
            p.item(&Entry::new(e, lookup));
        }
        p.close_array();
    }

    fn print_link(p: &mut Printer, l: &LinkInfo) {
        p.item(&Link::new(l));
    }

    fn print_stats(p: &mut Printer, d: &DevInfo) {
        p.item(&Stats::new(d));
    }

    fn print_event(p: &mut Printer, ev: &Event) {
        p.item(&EventView::new(ev));
    }

    fn render(mode: Mode, f: impl FnOnce(&mut Printer)) -> String {
        let mut out = Vec::new();
        {
            let mut p = Printer::new(&mut out, mode);
            f(&mut p);
            p.flush().unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    const JSON: Mode = Mode::Json { pretty: false };

    pub fn sample() -> EntryInfo {
        EntryInfo {
            ifindex: Some(5),
            ifname: Some("lisp0".into()),
            iid: Some(0),
            prefix: crate::model::Prefix::parse("10.1.0.0/24", false),
            rlocs: vec![
                Rloc::new(ip("192.0.2.1")),
                Rloc {
                    addr: ip("2001:db8::2"),
                    priority: 2,
                    weight: 50,
                    up: false,
                },
            ],
            ttl: Some(300),
            expires: Some(297),
            action: None,
            selected: None,
            origin: Some(Origin::Static),
            used: Some(false),
        }
    }

    #[test]
    fn entry_text() {
        let s = render(Mode::Text, |p| print_entries(p, &[sample()], false));
        assert_eq!(
            s,
            "10.1.0.0/24 iid 0 dev lisp0 ttl 300 expires 297\n\
             \trloc 192.0.2.1 priority 1 weight 100 up\n\
             \trloc 2001:db8::2 priority 2 weight 50 down\n"
        );
        let neg = EntryInfo {
            rlocs: vec![],
            ttl: None,
            expires: None,
            action: Some(LISP_ACTION_DROP),
            ..sample()
        };
        let s = render(Mode::Text, |p| print_entries(p, &[neg], false));
        assert_eq!(s, "10.1.0.0/24 iid 0 dev lisp0 action drop\n");
        let s = render(Mode::Text, |p| print_entries(p, &[], false));
        assert_eq!(s, "");
        // Learned and used.
        let learned = EntryInfo {
            iid: Some(7),
            prefix: crate::model::Prefix::parse("192.0.2.0/24", false),
            rlocs: vec![],
            ttl: Some(60),
            expires: Some(52),
            action: Some(LISP_ACTION_NOTIFY),
            origin: Some(Origin::Lispd),
            used: Some(true),
            ..sample()
        };
        let s = render(Mode::Text, |p| print_entries(p, &[learned], false));
        assert_eq!(
            s,
            "192.0.2.0/24 iid 7 dev lisp0 proto lispd ttl 60 expires 52 action notify used\n"
        );
    }

    #[test]
    fn entry_json() {
        let s = render(JSON, |p| print_entries(p, &[sample()], false));
        assert_eq!(
            s,
            "[{\"ifname\":\"lisp0\",\"ifindex\":5,\"iid\":0,\"eid\":\"10.1.0.0/24\",\
             \"origin\":\"static\",\"ttl\":300,\"expires\":297,\"action\":null,\"used\":false,\"rlocs\":[{\"addr\":\"192.0.2.1\",\"priority\":1,\
             \"weight\":100,\"up\":true},{\"addr\":\"2001:db8::2\",\"priority\":2,\"weight\":50,\
             \"up\":false}]}]\n"
        );
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v[0]["rlocs"][1]["up"], false);
        let e = EntryInfo {
            origin: Some(Origin::Lispd),
            used: Some(true),
            ..sample()
        };
        let v: serde_json::Value =
            serde_json::from_str(&render(JSON, |p| print_entries(p, &[e], false))).unwrap();
        assert_eq!(
            (&v[0]["origin"], &v[0]["used"]),
            (&"lispd".into(), &true.into())
        );
        let e = EntryInfo {
            origin: None,
            used: None,
            ..sample()
        };
        let v: serde_json::Value =
            serde_json::from_str(&render(JSON, |p| print_entries(p, &[e], false))).unwrap();
        assert!(v[0]["origin"].is_null() && v[0]["used"].is_null());
        let s = render(JSON, |p| print_entries(p, &[], false));
        assert_eq!(s, "[]\n");
    }

    #[test]
    fn lookup_output() {
        let e = EntryInfo {
            selected: Some(1),
            ..sample()
        };
        let s = render(Mode::Text, |p| {
            print_entries(p, std::slice::from_ref(&e), true)
        });
        assert!(s.ends_with("\tselected rloc 2001:db8::2\n"), "{s}");
        let s = render(JSON, |p| print_entries(p, &[e], true));
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v[0]["selected_rloc"], 1);
        let none = EntryInfo {
            selected: None,
            ..sample()
        };
        let s = render(Mode::Text, |p| {
            print_entries(p, std::slice::from_ref(&none), true)
        });
        assert!(s.ends_with("\tselected rloc (none)\n"), "{s}");
        let s = render(JSON, |p| print_entries(p, &[none], true));
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert!(v[0]["selected_rloc"].is_null());
    }

    /// A lisp device as `link show` gets it (RTM_NEWLINK and DEV_GET).
    pub fn sample_link() -> LinkInfo {
        LinkInfo {
            map_count: Some(3),
            ..lisp_client::testutil::lisp_link_info()
        }
    }

    #[test]
    fn link_text_and_json() {
        let l = sample_link();
        let s = render(Mode::Text, |p| print_link(p, &l));
        assert_eq!(
            s,
            "lisp0 ifindex 5 iid 0 port 4341 local 10.0.0.1 ttl inherit tos inherit udpcsum \
             nonce off external off srccheck off maps 3 mapmax 0 mtu 1444 state UP\n"
        );
        let s = render(JSON, |p| {
            p.open_array();
            print_link(p, &l);
            p.close_array();
        });
        assert_eq!(
            s,
            "[{\"ifname\":\"lisp0\",\"ifindex\":5,\"iid\":0,\"port\":4341,\"local\":\"10.0.0.1\",\
             \"ttl\":\"inherit\",\"tos\":\"inherit\",\"udp_csum\":true,\"nonce\":false,\
             \"external\":false,\"src_check\":false,\"map_count\":3,\"map_max\":0,\"mtu\":1444,\"operstate\":\"UP\"}]\n"
        );
        // Fixed values; no local address.
        let fixed = LinkInfo {
            config: LinkConfig {
                local: None,
                ttl: Some(64),
                tos: Some(0x10),
                udp_csum: Some(false),
                nonce: Some(true),
                external: Some(true),
                iid: Some(7),
                port: Some(4342),
                src_check: Some(true),
                map_max: Some(100),
            },
            operstate: Some(2),
            ..sample_link()
        };
        let s = render(Mode::Text, |p| print_link(p, &fixed));
        assert_eq!(
            s,
            "lisp0 ifindex 5 iid 7 port 4342 ttl 64 tos 0x10 noudpcsum nonce on external on \
             srccheck on maps 3 mapmax 100 mtu 1444 state DOWN\n"
        );
        let s = render(JSON, |p| print_link(p, &fixed));
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert!(v["local"].is_null());
        assert_eq!((v["ttl"].as_u64(), v["tos"].as_u64()), (Some(64), Some(16)));
        assert_eq!(
            (&v["udp_csum"], &v["nonce"], &v["external"]),
            (&false.into(), &true.into(), &true.into())
        );
        // What the kernel did not report: left out of the text, null in JSON.
        let bare = LinkInfo {
            ifindex: 9,
            ifname: Some("l".into()),
            ..LinkInfo::default()
        };
        assert_eq!(
            render(Mode::Text, |p| print_link(p, &bare)),
            "l ifindex 9\n"
        );
        let s = render(JSON, |p| print_link(p, &bare));
        assert_eq!(
            s,
            "{\"ifname\":\"l\",\"ifindex\":9,\"iid\":null,\"port\":null,\"local\":null,\
             \"ttl\":null,\"tos\":null,\"udp_csum\":null,\"nonce\":null,\"external\":null,\
             \"src_check\":null,\"map_count\":null,\"map_max\":null,\"mtu\":null,\
             \"operstate\":null}\n"
        );
    }

    #[test]
    fn pretty_json() {
        let s = render(Mode::Json { pretty: true }, |p| {
            p.open_array();
            print_link(
                p,
                &LinkInfo {
                    ifindex: 5,
                    ifname: Some("lisp0".into()),
                    map_count: Some(2),
                    mtu: Some(1444),
                    ..LinkInfo::default()
                },
            );
            p.close_array();
        });
        assert_eq!(
            s,
            "[\n    {\n        \"ifname\": \"lisp0\",\n        \"ifindex\": 5,\n        \
             \"iid\": null,\n        \"port\": null,\n        \"local\": null,\n        \
             \"ttl\": null,\n        \"tos\": null,\n        \"udp_csum\": null,\n        \
             \"nonce\": null,\n        \"external\": null,\n        \"src_check\": null,\n        \
             \"map_count\": 2,\n        \"map_max\": null,\n        \
             \"mtu\": 1444,\n        \"operstate\": null\n    }\n]\n"
        );
    }

    #[test]
    fn dev_and_stats() {
        let d = DevInfo {
            ifindex: Some(5),
            ifname: Some("lisp0".into()),
            default_iid: Some(0),
            port: Some(4341),
            map_count: Some(2),
            stats: vec![
                (LISP_STAT_A_TX_PACKETS, 10),
                (LISP_STAT_A_RX_BAD_IID, 1),
                (42, 3),
            ],
        };
        let s = render(Mode::Text, |p| print_stats(p, &d));
        assert_eq!(
            s,
            "lisp0 ifindex 5\n\ttx_packets 10\n\trx_bad_iid 1\n\tstat_42 3\n"
        );
        let s = render(JSON, |p| {
            p.open_array();
            print_stats(p, &d);
            p.close_array();
        });
        assert_eq!(
            s,
            "[{\"ifname\":\"lisp0\",\"ifindex\":5,\"stats\":{\"tx_packets\":10,\"rx_bad_iid\":1,\
             \"stat_42\":3}}]\n"
        );
    }

    #[test]
    fn events() {
        let miss = Event::Miss(MissInfo {
            ifindex: Some(5),
            ifname: Some("lisp0".into()),
            iid: Some(0),
            eid: Some(ip("10.9.9.9")),
        });
        let del = Event::MapDel(EntryInfo {
            rlocs: vec![],
            ttl: None,
            expires: None,
            ..sample()
        });
        let s = render(JSON, |p| {
            print_event(p, &miss);
            print_event(p, &del);
        });
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(
            lines[0],
            "{\"event\":\"miss\",\"ifname\":\"lisp0\",\"ifindex\":5,\"iid\":0,\"eid\":\"10.9.9.9\"}"
        );
        let v: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(v["event"], "map_del");
        assert_eq!(v["eid"], "10.1.0.0/24");
        assert_eq!(lines.len(), 2);
        let s = render(Mode::Text, |p| {
            print_event(p, &miss);
            print_event(p, &del);
            print_event(p, &Event::MapAdd(sample()));
        });
        assert_eq!(
            s,
            "miss 10.9.9.9 iid 0 dev lisp0\n\
             del 10.1.0.0/24 iid 0 dev lisp0\n\
             add 10.1.0.0/24 iid 0 dev lisp0 ttl 300 expires 297\n\
             \trloc 192.0.2.1 priority 1 weight 100 up\n\
             \trloc 2001:db8::2 priority 2 weight 50 down\n"
        );
    }

    #[test]
    fn escaping() {
        let e = EntryInfo {
            ifname: Some("a\"b\\c\n\u{1}é".into()),
            ..sample()
        };
        let s = render(JSON, |p| p.item(&Entry::new(&e, false)));
        assert!(
            s.starts_with("{\"ifname\":\"a\\\"b\\\\c\\n\\u0001é\","),
            "{s}"
        );
    }
}
