// SPDX-License-Identifier: GPL-2.0

//! One printer for text and JSON, in the manner of iproute2's `print_*(PRINT_ANY, ...)`: each
//! call names a JSON key and a text label, and the mode decides which is written. JSON is
//! streamed (a dump of a million entries is never held in memory).

use std::io::{self, Write};

use lisp_uapi::LISP_TOS_INHERIT;

use crate::model::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Text,
    Json { pretty: bool },
}

struct Frame {
    array: bool,
    items: usize,
}

pub struct Printer<'w> {
    out: &'w mut dyn Write,
    mode: Mode,
    stack: Vec<Frame>,
    /// Text: whether something was written on the current line (a space goes before the next
    /// word) — false at the start of a line and after an indentation tab.
    mid_line: bool,
    err: Option<io::Error>,
}

impl<'w> Printer<'w> {
    pub fn new(out: &'w mut dyn Write, mode: Mode) -> Self {
        Printer {
            out,
            mode,
            stack: Vec::new(),
            mid_line: false,
            err: None,
        }
    }

    /// Text written as is, in either mode (help).
    pub fn verbatim(&mut self, s: &str) {
        self.raw(s);
    }

    /// JSON without indentation from now on (monitor: one object per line).
    pub fn compact(&mut self) {
        if self.is_json() {
            self.mode = Mode::Json { pretty: false };
        }
    }

    pub fn is_json(&self) -> bool {
        matches!(self.mode, Mode::Json { .. })
    }

    fn raw(&mut self, s: &str) {
        if self.err.is_none() {
            if let Err(e) = self.out.write_all(s.as_bytes()) {
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

    // ---- JSON plumbing ----

    fn pretty(&self) -> bool {
        matches!(self.mode, Mode::Json { pretty: true })
    }

    fn indent(&mut self) {
        if self.pretty() {
            let s = format!("\n{}", "    ".repeat(self.stack.len()));
            self.raw(&s);
        }
    }

    /// Separator, indentation and key before a JSON value.
    fn json_key(&mut self, key: Option<&str>) {
        if let Some(top) = self.stack.last_mut() {
            top.items += 1;
            let first = top.items == 1;
            let in_object = !top.array;
            if !first {
                self.raw(",");
            }
            self.indent();
            if in_object {
                let k = json_string(key.unwrap_or(""));
                self.raw(&k);
                self.raw(if self.pretty() { ": " } else { ":" });
            }
        }
    }

    fn open(&mut self, key: Option<&str>, array: bool) {
        if self.is_json() {
            self.json_key(key);
            self.raw(if array { "[" } else { "{" });
            self.stack.push(Frame { array, items: 0 });
        }
    }

    fn close(&mut self) {
        if self.is_json() {
            if let Some(f) = self.stack.pop() {
                if f.items > 0 {
                    self.indent();
                }
                self.raw(if f.array { "]" } else { "}" });
                if self.stack.is_empty() {
                    self.raw("\n");
                }
            }
        }
    }

    pub fn open_array(&mut self, key: Option<&str>) {
        self.open(key, true);
    }

    pub fn close_array(&mut self) {
        self.close();
    }

    pub fn open_object(&mut self, key: Option<&str>) {
        self.open(key, false);
    }

    pub fn close_object(&mut self) {
        self.close();
    }

    fn json_value(&mut self, key: &str, v: &str) {
        self.json_key(Some(key));
        self.raw(v);
    }

    // ---- Text plumbing ----

    /// A word of text, space-separated from the previous one on the line.
    fn word(&mut self, s: &str) {
        if self.mid_line {
            self.raw(" ");
        }
        self.raw(s);
        self.mid_line = true;
    }

    fn label_value(&mut self, label: &str, value: &str) {
        if label.is_empty() {
            self.word(value);
        } else {
            self.word(&format!("{label} {value}"));
        }
    }

    /// Text only: end the line.
    pub fn newline(&mut self) {
        if !self.is_json() {
            self.raw("\n");
            self.mid_line = false;
        }
    }

    /// Text only: start an indented continuation line.
    pub fn indent_line(&mut self) {
        if !self.is_json() {
            self.raw("\n\t");
            self.mid_line = false;
        }
    }

    /// Text only: a word (or `label value`).
    pub fn text(&mut self, label: &str, value: &str) {
        if !self.is_json() {
            self.label_value(label, value);
        }
    }

    // ---- Values: key for JSON, label for text ----

    pub fn string(&mut self, key: &str, label: &str, v: &str) {
        if self.is_json() {
            self.json_value(key, &json_string(v));
        } else {
            self.label_value(label, v);
        }
    }

    pub fn uint(&mut self, key: &str, label: &str, v: u64) {
        if self.is_json() {
            self.json_value(key, &v.to_string());
        } else {
            self.label_value(label, &v.to_string());
        }
    }

    /// JSON: the number or null. Text: `label value`, nothing when absent.
    pub fn opt_uint(&mut self, key: &str, label: &str, v: Option<u64>) {
        match v {
            Some(v) => self.uint(key, label, v),
            None => self.json_only_null(key),
        }
    }

    /// JSON: the string or null. Text: `label value`, nothing when absent.
    pub fn opt_string(&mut self, key: &str, label: &str, v: Option<&str>) {
        match v {
            Some(v) => self.string(key, label, v),
            None => self.json_only_null(key),
        }
    }

    /// JSON: true/false. Text: one of two words.
    pub fn boolean(&mut self, key: &str, if_true: &str, if_false: &str, v: bool) {
        if self.is_json() {
            self.json_value(key, if v { "true" } else { "false" });
        } else {
            self.word(if v { if_true } else { if_false });
        }
    }

    /// JSON only: a raw value (`true`, a number).
    pub fn json_value_only(&mut self, key: &str, v: &str) {
        if self.is_json() {
            self.json_value(key, v);
        }
    }

    pub fn json_only_null(&mut self, key: &str) {
        if self.is_json() {
            self.json_value(key, "null");
        }
    }

    pub fn json_string(&mut self, key: &str, v: &str) {
        if self.is_json() {
            self.json_value(key, &json_string(v));
        }
    }

    pub fn json_uint(&mut self, key: &str, v: Option<u64>) {
        if self.is_json() {
            match v {
                Some(v) => self.json_value(key, &v.to_string()),
                None => self.json_value(key, "null"),
            }
        }
    }
}

/// A JSON string literal.
pub fn json_string(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

// ---- The objects ----

fn name_or_none(n: &Option<String>) -> &str {
    n.as_deref().unwrap_or("(none)")
}

/// Text: `10.1.0.0/24 iid 0 dev lisp0 ttl 300 expires 297` and one indented line per RLOC;
/// `proto lispd` after the device for learned entries, `used` before the RLOCs for used ones.
/// JSON: ifname, ifindex, iid, eid, origin, ttl, expires, action, used, rlocs (and selected_rloc
/// when `lookup`).
pub fn print_entry(p: &mut Printer, e: &EntryInfo, lookup: bool) {
    p.json_string("ifname", name_or_none(&e.ifname));
    p.json_uint("ifindex", e.ifindex.map(u64::from));
    p.json_uint("iid", e.iid.map(u64::from));
    let eid = e.prefix.map(|x| x.to_string());
    p.string("eid", "", eid.as_deref().unwrap_or("(none)"));
    if let Some(iid) = e.iid {
        p.text("iid", &iid.to_string());
    }
    p.text("dev", name_or_none(&e.ifname));
    let origin = e.origin.map(Origin::name);
    match e.origin {
        // Text marks only what differs from an operator's entry.
        Some(Origin::Static) => p.json_string("origin", "static"),
        _ => p.opt_string("origin", "proto", origin.as_deref()),
    }
    p.opt_uint("ttl", "ttl", e.ttl.map(u64::from));
    p.opt_uint("expires", "expires", e.expires.map(u64::from));
    let action = e.action.map(Action::name_of);
    p.opt_string("action", "action", action.as_deref());
    match e.used {
        Some(used) => {
            p.json_value_only("used", if used { "true" } else { "false" });
            if used {
                p.text("", "used");
            }
        }
        None => p.json_only_null("used"),
    }
    p.open_array(Some("rlocs"));
    for r in &e.rlocs {
        p.indent_line();
        p.open_object(None);
        p.string("addr", "rloc", &r.addr.to_string());
        p.uint("priority", "priority", r.priority.into());
        p.uint("weight", "weight", r.weight.into());
        p.boolean("up", "up", "down", r.up);
        p.close_object();
    }
    p.close_array();
    if lookup {
        p.json_uint("selected_rloc", e.selected.map(u64::from));
        p.indent_line();
        let chosen = e
            .selected
            .and_then(|i| e.rlocs.get(i as usize))
            .map(|r| r.addr.to_string());
        p.text("selected rloc", chosen.as_deref().unwrap_or("(none)"));
    }
}

/// One element of a `map show`/`map get` result (the caller opens and closes the array).
pub fn print_entry_item(p: &mut Printer, e: &EntryInfo, lookup: bool) {
    p.open_object(None);
    print_entry(p, e, lookup);
    p.close_object();
    p.newline();
}

/// A whole `map show`/`map get` result: an array of entries.
#[cfg(test)]
pub fn print_entries(p: &mut Printer, entries: &[EntryInfo], lookup: bool) {
    p.open_array(None);
    for e in entries {
        print_entry_item(p, e, lookup);
    }
    p.close_array();
}

/// `link show`: `lisp0 ifindex 5 iid 0 port 4341 local 10.0.0.1 ttl inherit tos inherit udpcsum
/// nonce off external off srccheck off maps 3 mapmax 0 mtu 1444 state UP` (`local` only when
/// set; what the kernel did not report is left out). JSON: ifname, ifindex, iid, port, local, ttl
/// and tos ("inherit" or a number), udp_csum, nonce, external, src_check, map_count, map_max (0:
/// no limit), mtu, operstate; null when not reported.
pub fn print_link(p: &mut Printer, l: &LinkInfo) {
    let c = &l.config;
    p.open_object(None);
    p.string("ifname", "", name_or_none(&l.ifname));
    p.uint("ifindex", "ifindex", u64::try_from(l.ifindex).unwrap_or(0));
    p.opt_uint("iid", "iid", c.iid.map(u64::from));
    p.opt_uint("port", "port", c.port.map(u64::from));
    let local = c.local.map(|a| a.to_string());
    p.opt_string("local", "local", local.as_deref());
    match c.ttl {
        Some(0) => p.string("ttl", "ttl", "inherit"),
        t => p.opt_uint("ttl", "ttl", t.map(u64::from)),
    }
    match c.tos {
        Some(LISP_TOS_INHERIT) => p.string("tos", "tos", "inherit"),
        Some(t) => {
            // Hexadecimal in text, as `ip` prints a TOS.
            p.json_uint("tos", Some(t.into()));
            p.text("tos", &format!("{t:#x}"));
        }
        None => p.json_only_null("tos"),
    }
    for (key, on, off, v) in [
        ("udp_csum", "udpcsum", "noudpcsum", c.udp_csum),
        ("nonce", "nonce on", "nonce off", c.nonce),
        ("external", "external on", "external off", c.external),
        ("src_check", "srccheck on", "srccheck off", c.src_check),
    ] {
        match v {
            Some(v) => p.boolean(key, on, off, v),
            None => p.json_only_null(key),
        }
    }
    p.opt_uint("map_count", "maps", l.map_count.map(u64::from));
    p.opt_uint("map_max", "mapmax", c.map_max.map(u64::from));
    p.opt_uint("mtu", "mtu", l.mtu.map(u64::from));
    let state = l.operstate.map(operstate_name);
    p.opt_string("operstate", "state", state.as_deref());
    p.close_object();
    p.newline();
}

/// `stats`: the device, then one indented `name value` line per counter; JSON
/// `{"ifname":..,"ifindex":..,"stats":{"tx_packets":0,...}}`.
pub fn print_stats(p: &mut Printer, d: &DevInfo) {
    p.open_object(None);
    p.string("ifname", "", name_or_none(&d.ifname));
    p.opt_uint("ifindex", "ifindex", d.ifindex.map(u64::from));
    p.open_object(Some("stats"));
    for (ty, v) in &d.stats {
        p.indent_line();
        let name = stat_name(*ty);
        p.uint(&name, &name, *v);
    }
    p.close_object();
    p.close_object();
    p.newline();
}

/// One event of `monitor`, on its own line (one JSON object per line).
pub fn print_event(p: &mut Printer, ev: &Event) {
    p.open_object(None);
    match ev {
        Event::MapAdd(e) | Event::MapDel(e) => {
            let (json, text) = match ev {
                Event::MapAdd(_) => ("map_add", "add"),
                _ => ("map_del", "del"),
            };
            p.json_string("event", json);
            p.text("", text);
            print_entry(p, e, false);
        }
        Event::Miss(m) => {
            p.json_string("event", "miss");
            p.text("", "miss");
            p.json_string("ifname", name_or_none(&m.ifname));
            p.json_uint("ifindex", m.ifindex.map(u64::from));
            p.json_uint("iid", m.iid.map(u64::from));
            let eid = m.eid.map(|a| a.to_string());
            p.string("eid", "", eid.as_deref().unwrap_or("(none)"));
            if let Some(iid) = m.iid {
                p.text("iid", &iid.to_string());
            }
            p.text("dev", name_or_none(&m.ifname));
        }
        Event::Overrun => {
            p.json_string("event", "overrun");
            p.text("", "overrun (events lost)");
        }
    }
    p.close_object();
    p.newline();
}

#[cfg(test)]
mod tests {
    use super::*;
    use lisp_uapi::*;
    use std::net::IpAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
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
            p.open_array(None);
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
            p.open_array(None);
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
            p.open_array(None);
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
        assert_eq!(json_string("a\"b\\c\n\u{1}é"), "\"a\\\"b\\\\c\\n\\u0001é\"");
    }
}
