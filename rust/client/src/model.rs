// SPDX-License-Identifier: GPL-2.0

//! The objects lispctl and lispd talk about: EID prefixes, locators, map-cache entries, devices and events,
//! independent of how they travel on the wire or are printed.

use std::fmt;
use std::net::IpAddr;

use lisp_uapi::*;

/// An EID prefix: an IPv4 or IPv6 address with a prefix length, host bits zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prefix {
    pub addr: IpAddr,
    pub len: u8,
}

impl Prefix {
    /// The longest prefix length of `addr`'s family.
    pub fn max_len(addr: &IpAddr) -> u8 {
        match addr {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        }
    }

    /// Parses `ADDR/LEN` (or a bare `ADDR` when `bare_ok`, meaning the full length). Rejects
    /// lengths out of range and addresses with host bits set.
    pub fn parse(s: &str, bare_ok: bool) -> Option<Prefix> {
        // Where the address ends: known once a dotted quad is read, else searched.
        let b = s.as_bytes();
        let (addr, rest) = match ipv4_head(b) {
            Some((a, n)) => (IpAddr::from(a), &b[n..]),
            None => {
                let at = b.iter().rposition(|&c| c == b'/').unwrap_or(b.len());
                (IpAddr::from(parse_ipv6(&b[..at])?), &b[at..])
            }
        };
        let len = match rest {
            [] if bare_ok => Prefix::max_len(&addr),
            // Only plain decimal lengths: no sign, no spaces.
            [b'/', l @ ..] if (1..=3).contains(&l.len()) && l.iter().all(u8::is_ascii_digit) => {
                u8::try_from(l.iter().fold(0u32, |v, d| v * 10 + u32::from(d - b'0'))).ok()?
            }
            _ => return None,
        };
        let p = Prefix { addr, len };
        (len <= Prefix::max_len(&addr) && p.masked() == addr).then_some(p)
    }

    /// The address with the host bits cleared.
    fn masked(&self) -> IpAddr {
        match self.addr {
            IpAddr::V4(a) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.len)).unwrap_or(0);
                IpAddr::V4((u32::from(a) & mask).into())
            }
            IpAddr::V6(a) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.len))
                    .unwrap_or(0);
                IpAddr::V6((u128::from(a) & mask).into())
            }
        }
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

/// `s.parse::<IpAddr>()`, the same set of spellings (tested against it), at about a third of the
/// cost: batches parse millions of addresses.
pub fn parse_ip(s: &str) -> Option<IpAddr> {
    let b = s.as_bytes();
    match ipv4_head(b) {
        // Anything after a dotted quad is no IPv6 address either.
        Some((a, n)) => (n == b.len()).then_some(IpAddr::from(a)),
        None => parse_ipv6(b).map(IpAddr::from),
    }
}

/// A dotted quad at the start of `b` (each number 0-255 in 1-3 digits, no leading zero) and
/// where it ends: after the fourth number's digits, three at most.
fn ipv4_head(b: &[u8]) -> Option<([u8; 4], usize)> {
    let mut out = [0u8; 4];
    let mut i = 0;
    for (k, slot) in out.iter_mut().enumerate() {
        if k > 0 {
            if b.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let first = b.get(i)?.wrapping_sub(b'0');
        if first > 9 {
            return None;
        }
        i += 1;
        let mut v = u32::from(first);
        // A number starting with 0 is just "0".
        if first != 0 {
            for _ in 0..2 {
                match b.get(i) {
                    Some(&c) if c.is_ascii_digit() => {
                        v = v * 10 + u32::from(c - b'0');
                        i += 1;
                    }
                    _ => break,
                }
            }
            if v > 255 {
                return None;
            }
        }
        *slot = v as u8;
    }
    Some((out, i))
}

/// IPv6: groups of 1-4 hex digits separated by `:`, eight of them, or fewer around one `::`;
/// a dotted quad may stand for the last two.
fn parse_ipv6(b: &[u8]) -> Option<[u16; 8]> {
    let mut groups = [0u16; 8];
    let mut n = 0;
    // Where `::` stands (in groups), once seen.
    let mut gap = None;
    let mut i = 0;
    if b.starts_with(b"::") {
        gap = Some(0);
        i = 2;
    }
    while i < b.len() {
        let start = i;
        let mut v = 0u32;
        while i < b.len() && i - start < 4 {
            let d = match b[i] {
                c @ b'0'..=b'9' => c - b'0',
                c @ b'a'..=b'f' => c - b'a' + 10,
                c @ b'A'..=b'F' => c - b'A' + 10,
                _ => break,
            };
            v = (v << 4) | u32::from(d);
            i += 1;
        }
        if b.get(i) == Some(&b'.') && n <= 6 {
            // A dotted quad ends the address.
            let (q, _) = ipv4_head(&b[start..]).filter(|&(_, len)| start + len == b.len())?;
            groups[n] = u16::from_be_bytes([q[0], q[1]]);
            groups[n + 1] = u16::from_be_bytes([q[2], q[3]]);
            n += 2;
            break;
        }
        if i == start || n == 8 {
            return None;
        }
        groups[n] = v as u16;
        n += 1;
        if i == b.len() {
            break;
        }
        if b[i] != b':' {
            return None;
        }
        i += 1;
        if b.get(i) == Some(&b':') {
            if gap.is_some() {
                return None;
            }
            gap = Some(n);
            i += 1;
        } else if i == b.len() {
            // A single trailing ':'.
            return None;
        }
    }
    match gap {
        None if n == 8 => {}
        Some(at) if n <= 7 => {
            let tail = n - at;
            groups.copy_within(at..n, 8 - tail);
            groups[at..8 - tail].fill(0);
        }
        _ => return None,
    }
    Some(groups)
}

/// An address from its 4 or 16 wire bytes.
pub fn addr_from_bytes(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        4 => Some(IpAddr::from(<[u8; 4]>::try_from(b).ok()?)),
        16 => Some(IpAddr::from(<[u8; 16]>::try_from(b).ok()?)),
        _ => None,
    }
}

/// What a negative entry (one without locators) does with packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Drop,
    Forward,
    Notify,
}

impl Action {
    pub fn parse(s: &str) -> Option<Action> {
        match s {
            "drop" => Some(Action::Drop),
            "forward" => Some(Action::Forward),
            "notify" => Some(Action::Notify),
            _ => None,
        }
    }

    pub fn value(self) -> u8 {
        match self {
            Action::Drop => LISP_ACTION_DROP,
            Action::Forward => LISP_ACTION_FORWARD,
            Action::Notify => LISP_ACTION_NOTIFY,
        }
    }

    /// The keyword of a wire value; unknown values (a newer kernel) print as their number.
    pub fn name_of(v: u8) -> String {
        match v {
            LISP_ACTION_DROP => "drop".into(),
            LISP_ACTION_FORWARD => "forward".into(),
            LISP_ACTION_NOTIFY => "notify".into(),
            other => other.to_string(),
        }
    }
}

/// Who installed an entry (LISP_MAP_A_ORIGIN).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// An operator (`lispctl`): the default.
    Static,
    /// Learned from the mapping system by `lispd`.
    Lispd,
    /// A value this crate does not know (a newer kernel); never accepted by the kernel.
    Other(u8),
}

impl Origin {
    /// The keyword (`static`, `lispd`) of an origin.
    pub fn parse(s: &str) -> Option<Origin> {
        match s {
            "static" => Some(Origin::Static),
            "lispd" => Some(Origin::Lispd),
            _ => None,
        }
    }

    /// The wire value (LISP_ORIGIN_*).
    pub fn value(self) -> u8 {
        match self {
            Origin::Static => LISP_ORIGIN_STATIC,
            Origin::Lispd => LISP_ORIGIN_LISPD,
            Origin::Other(v) => v,
        }
    }

    /// The origin of a wire value.
    pub fn from_value(v: u8) -> Origin {
        match v {
            LISP_ORIGIN_STATIC => Origin::Static,
            LISP_ORIGIN_LISPD => Origin::Lispd,
            other => Origin::Other(other),
        }
    }

    /// The keyword of an origin; unknown values print as their number.
    pub fn name(self) -> String {
        match self {
            Origin::Static => "static".into(),
            Origin::Lispd => "lispd".into(),
            Origin::Other(v) => v.to_string(),
        }
    }
}

/// A locator of an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rloc {
    pub addr: IpAddr,
    pub priority: u8,
    pub weight: u8,
    pub up: bool,
}

impl Rloc {
    /// A locator with the defaults: priority 1, weight 100, up.
    pub fn new(addr: IpAddr) -> Rloc {
        Rloc {
            addr,
            priority: 1,
            weight: LISP_WEIGHT_MAX,
            up: true,
        }
    }
}

/// The locators of a request's entry, at most LISP_MAX_RLOCS, held inline: batches build
/// millions of entries without allocating.
pub type Rlocs = smallvec::SmallVec<[Rloc; LISP_MAX_RLOCS]>;

/// A map-cache entry as a request carries it (`map add`/`map replace`), or with only prefix and
/// instance ID, the key of one (`map del`, `map get EID/LEN`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapEntry {
    pub prefix: Prefix,
    /// Absent: the device's default instance ID.
    pub iid: Option<u32>,
    pub rlocs: Rlocs,
    pub ttl: Option<u32>,
    pub action: Option<Action>,
    /// Absent: `Origin::Static`.
    pub origin: Option<Origin>,
}

impl MapEntry {
    /// The key of an entry: prefix and instance ID, nothing else.
    pub fn key(prefix: Prefix, iid: Option<u32>) -> MapEntry {
        MapEntry {
            prefix,
            iid,
            rlocs: Rlocs::default(),
            ttl: None,
            action: None,
            origin: None,
        }
    }
}

/// A map-cache entry as the kernel reports it (MAP_GET replies, MAP_ADD/MAP_DEL events).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EntryInfo {
    pub ifindex: Option<u32>,
    pub ifname: Option<String>,
    pub iid: Option<u32>,
    pub prefix: Option<Prefix>,
    pub rlocs: Vec<Rloc>,
    pub ttl: Option<u32>,
    pub expires: Option<u32>,
    /// Raw LISP_ACTION_* value.
    pub action: Option<u8>,
    /// Index into `rlocs` of the locator chosen for the lookup's flow hash.
    pub selected: Option<u32>,
    /// Who installed the entry (absent from kernels before LISP_MAP_A_ORIGIN).
    pub origin: Option<Origin>,
    /// Whether a packet used the entry since it was installed or replaced (absent from kernels
    /// before LISP_MAP_A_USED).
    pub used: Option<bool>,
}

/// A lisp device's configuration and counters (DEV_GET replies).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DevInfo {
    pub ifindex: Option<u32>,
    pub ifname: Option<String>,
    pub default_iid: Option<u32>,
    pub port: Option<u16>,
    pub map_count: Option<u32>,
    /// (LISP_STAT_A_* type, value) in the order received.
    pub stats: Vec<(u16, u64)>,
}

/// The name of a counter attribute; counters of a newer kernel get a generic name.
pub fn stat_name(ty: u16) -> String {
    let name = match ty {
        LISP_STAT_A_TX_PACKETS => "tx_packets",
        LISP_STAT_A_TX_NO_MAPPING => "tx_no_mapping",
        LISP_STAT_A_TX_NEGATIVE => "tx_negative",
        LISP_STAT_A_TX_BAD_PROTOCOL => "tx_bad_protocol",
        LISP_STAT_A_TX_ERRORS => "tx_errors",
        LISP_STAT_A_RX_PACKETS => "rx_packets",
        LISP_STAT_A_RX_BAD_HEADER => "rx_bad_header",
        LISP_STAT_A_RX_BAD_IID => "rx_bad_iid",
        LISP_STAT_A_RX_BAD_VERSION => "rx_bad_version",
        LISP_STAT_A_MISS_NOTIFY => "miss_notify",
        LISP_STAT_A_MISS_RATELIMITED => "miss_ratelimited",
        LISP_STAT_A_TX_FORWARDED => "tx_forwarded",
        LISP_STAT_A_RX_SPOOFED => "rx_spoofed",
        LISP_STAT_A_RX_BAD_INNER => "rx_bad_inner",
        other => return format!("stat_{other}"),
    };
    name.to_string()
}

/// The IFLA_INFO_DATA of a lisp device (IFLA_LISP_*), values as on the wire: what `link add`
/// and `link set` send (only what was given) and what RTM_NEWLINK replies carry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkConfig {
    /// UDP port, host order here (network order on the wire).
    pub port: Option<u16>,
    /// Local RLOC.
    pub local: Option<IpAddr>,
    pub iid: Option<u32>,
    /// Outer TTL; 0 inherits the inner packet's.
    pub ttl: Option<u8>,
    /// Outer TOS; LISP_TOS_INHERIT inherits the inner packet's DSCP.
    pub tos: Option<u8>,
    pub external: Option<bool>,
    pub udp_csum: Option<bool>,
    pub nonce: Option<bool>,
    /// Source check of decapsulated packets (anti-spoofing).
    pub src_check: Option<bool>,
    /// Most map-cache entries; 0: no limit.
    pub map_max: Option<u32>,
}

impl LinkConfig {
    /// Whether no attribute is set (nothing to send in IFLA_INFO_DATA).
    pub fn is_empty(&self) -> bool {
        *self == LinkConfig::default()
    }
}

/// A device as RTM_NEWLINK describes it (`link show`), with the map-cache size DEV_GET adds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkInfo {
    pub ifindex: i32,
    pub ifname: Option<String>,
    /// IFLA_INFO_KIND.
    pub kind: Option<String>,
    pub mtu: Option<u32>,
    /// IFLA_OPERSTATE (IF_OPER_*).
    pub operstate: Option<u8>,
    /// IFLA_INFO_DATA (empty when absent).
    pub config: LinkConfig,
    /// From DEV_GET.
    pub map_count: Option<u32>,
}

/// The name `ip link` gives an operational state (IF_OPER_*); unknown values print as numbers.
pub fn operstate_name(v: u8) -> String {
    let name = match v {
        0 => "UNKNOWN",
        1 => "NOTPRESENT",
        2 => "DOWN",
        3 => "LOWERLAYERDOWN",
        4 => "TESTING",
        5 => "DORMANT",
        6 => "UP",
        other => return other.to_string(),
    };
    name.to_string()
}

/// A cache-miss notification (LISP_CMD_MISS event).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MissInfo {
    pub ifindex: Option<u32>,
    pub ifname: Option<String>,
    pub iid: Option<u32>,
    pub eid: Option<IpAddr>,
}

/// A message of the "events" group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    MapAdd(EntryInfo),
    MapDel(EntryInfo),
    Miss(MissInfo),
    /// Events were lost: the socket's receive buffer overran (ENOBUFS). A listener that keeps
    /// state should resynchronise with a dump.
    Overrun,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        let p = Prefix::parse("10.1.0.0/24", false).unwrap();
        assert_eq!(p.to_string(), "10.1.0.0/24");
        assert_eq!(Prefix::parse("0.0.0.0/0", false).unwrap().len, 0);
        assert_eq!(Prefix::parse("2001:db8::/32", false).unwrap().len, 32);
        assert_eq!(Prefix::parse("2001:db8::1/128", false).unwrap().len, 128);
        assert_eq!(Prefix::parse("10.0.0.1/32", false).unwrap().len, 32);
        assert_eq!(Prefix::parse("10.0.0.1", true).unwrap().len, 32);
        assert_eq!(Prefix::parse("::1", true).unwrap().len, 128);
        for bad in [
            "10.0.0.0/33",
            "10.0.0.1/24",
            "10.0.0.0",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "10.0.0.0/-1",
            "10.0.0.0/08x",
            "2001:db8::/129",
            "2001:db8::1/64",
            "foo/8",
            "/8",
            "10.0.0/8",
        ] {
            assert_eq!(Prefix::parse(bad, false), None, "{bad}");
        }
        assert_eq!(Prefix::parse("10.0.0.0/0", false), None);
        assert_eq!(Prefix::parse("128.0.0.0/1", false).unwrap().len, 1);
    }

    #[test]
    fn addresses_as_std() {
        // Strings near addresses: random ones mutated, and random characters.
        let chars: Vec<char> = "0123456789abcdefABCDEF:./x \u{e9}".chars().collect();
        let mut x = 0x1234_5678u64;
        let mut below = |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        };
        let (mut v4, mut v6) = (0, 0);
        for _ in 0..200_000 {
            let mut s = match below(3) {
                0 => IpAddr::from((below(1 << 31) as u32).to_be_bytes()).to_string(),
                1 => IpAddr::from([0, 0, 0, 0, 0, 0xffff, 0, below(3) as u16]).to_string(),
                _ => {
                    let groups: Vec<String> = (0..below(10))
                        .map(|_| format!("{:0w$x}", below(1 << 16), w = below(6)))
                        .collect();
                    groups.join(if below(8) == 0 { "::" } else { ":" })
                }
            };
            for _ in 0..below(3) {
                let at = s
                    .char_indices()
                    .nth(below(s.len() + 1))
                    .map_or(s.len(), |(at, _)| at);
                match below(3) {
                    0 => s.insert(at, chars[below(chars.len())]),
                    1 if at < s.len() => {
                        s.remove(at);
                    }
                    _ => s.insert_str(at, ["::", ".", "0", "1.2.3.4", ":1.2.3.4"][below(5)]),
                }
            }
            let a = parse_ip(&s);
            assert_eq!(a, s.parse().ok(), "{s:?}");
            v4 += usize::from(matches!(a, Some(IpAddr::V4(_))));
            v6 += usize::from(matches!(a, Some(IpAddr::V6(_))));
        }
        assert!(v4 > 20_000 && v6 > 20_000 && v4 + v6 < 150_000, "{v4} {v6}");
        for s in [
            "",
            ":",
            "::",
            ":::",
            "1::",
            "::1",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7:8::",
            "::1:2:3:4:5:6:7:8",
            "12345::",
            "1:2:3:4:5:6:7:",
            "01.0.0.0",
            "1.2.3.4.",
            "1.2.3",
            "1.2.3.1000",
            "::ffff:1.2.3.4",
            "1:2:3:4:5:6:1.2.3.4",
            "1:2:3:4:5:6:7:1.2.3.4",
            "1.2.3.4::",
            "::1.2.3.04",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        ] {
            assert_eq!(parse_ip(s), s.parse().ok(), "{s:?}");
        }
    }

    #[test]
    fn addresses() {
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(addr_from_bytes(&[192, 0, 2, 1]), Some(a));
        let b: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(
            addr_from_bytes(&b"\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"[..]),
            Some(b)
        );
        assert_eq!(addr_from_bytes(&[1, 2, 3]), None);
    }

    #[test]
    fn names() {
        assert_eq!(stat_name(LISP_STAT_A_TX_PACKETS), "tx_packets");
        assert_eq!(stat_name(LISP_STAT_A_MISS_RATELIMITED), "miss_ratelimited");
        assert_eq!(stat_name(99), "stat_99");
        assert_eq!(Action::name_of(LISP_ACTION_NOTIFY), "notify");
        assert_eq!(Action::name_of(9), "9");
        assert_eq!(
            Action::parse("forward").unwrap().value(),
            LISP_ACTION_FORWARD
        );
        // IF_OPER_* as libc numbers them.
        assert_eq!(operstate_name(libc::IF_OPER_UP as u8), "UP");
        assert_eq!(operstate_name(libc::IF_OPER_DOWN as u8), "DOWN");
        assert_eq!(operstate_name(libc::IF_OPER_UNKNOWN as u8), "UNKNOWN");
        assert_eq!(
            operstate_name(libc::IF_OPER_LOWERLAYERDOWN as u8),
            "LOWERLAYERDOWN"
        );
        assert_eq!(operstate_name(9), "9");
        for o in [Origin::Static, Origin::Lispd, Origin::Other(7)] {
            assert_eq!(Origin::from_value(o.value()), o);
        }
        assert_eq!(Origin::parse("lispd"), Some(Origin::Lispd));
        assert_eq!(Origin::parse(&Origin::Static.name()), Some(Origin::Static));
        assert_eq!(Origin::parse("7"), None);
        assert!(LinkConfig::default().is_empty());
        assert!(!LinkConfig {
            nonce: Some(false),
            ..LinkConfig::default()
        }
        .is_empty());
    }
}
