// SPDX-License-Identifier: GPL-2.0
//
// Locators (RLOCs) of a map-cache entry: validation of a configured set, and the choice of the
// locator a flow is sent to (RFC 9300 section 10 and RFC 9301 section 5.4: the usable locators
// of the best priority share the flows in proportion to their weights).

use super::addr::IpAddr;
use core::ffi::CStr;

/// The most locators a map-cache entry holds.
pub const MAX_RLOCS: usize = 8;

/// The priority that marks a locator as not to be used for unicast forwarding (RFC 9301).
pub const PRIORITY_UNUSABLE: u8 = 255;

/// The largest weight of a locator.
pub const MAX_WEIGHT: u8 = 100;

/// A routing locator: where packets for an EID prefix are tunnelled to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rloc {
    /// The address.
    pub addr: IpAddr,
    /// The priority: lower is preferred, 255 means unusable.
    pub priority: u8,
    /// The share of flows among locators of the same priority, 0 to 100.
    pub weight: u8,
    /// Whether the locator is reachable.
    pub up: bool,
}

impl Rloc {
    /// Makes an IPv4 locator that is up.
    pub fn v4(addr: [u8; 4], priority: u8, weight: u8) -> Self {
        Self {
            addr: IpAddr::v4(addr),
            priority,
            weight,
            up: true,
        }
    }

    /// Makes an IPv6 locator that is up.
    pub fn v6(addr: [u8; 16], priority: u8, weight: u8) -> Self {
        Self {
            addr: IpAddr::v6(addr),
            priority,
            weight,
            up: true,
        }
    }

    /// Returns whether flows may be sent to this locator.
    pub fn usable(&self) -> bool {
        self.up && self.priority != PRIORITY_UNUSABLE
    }
}

/// Why [`validate`] rejected a set of locators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RlocError {
    /// More than [`MAX_RLOCS`] locators.
    TooMany,
    /// A weight above [`MAX_WEIGHT`].
    Weight,
    /// The unspecified address (`0.0.0.0` or `::`).
    Unspecified,
    /// A multicast address (`224.0.0.0/4` or `ff00::/8`).
    Multicast,
    /// The IPv4 limited broadcast address `255.255.255.255`.
    Broadcast,
    /// The same address twice.
    Duplicate,
}

impl RlocError {
    /// Returns a message for the user (netlink extended ack).
    pub fn message(&self) -> &'static CStr {
        match self {
            Self::TooMany => c"at most 8 RLOCs per map-cache entry",
            Self::Weight => c"RLOC weight must be 0-100",
            Self::Unspecified => c"RLOC address must not be unspecified",
            Self::Multicast => c"RLOC address must not be multicast",
            Self::Broadcast => c"RLOC address must not be broadcast",
            Self::Duplicate => c"duplicate RLOC address",
        }
    }
}

/// Checks one locator's weight and address.
fn validate_one(r: &Rloc) -> Result<(), RlocError> {
    if r.weight > MAX_WEIGHT {
        return Err(RlocError::Weight);
    }
    let a = r.addr.as_bytes();
    let v6 = r.addr.v6;
    let first = a.first().copied().unwrap_or(0);
    if a.iter().all(|&b| b == 0) {
        Err(RlocError::Unspecified)
    } else if (v6 && first == 0xff) || (!v6 && first & 0xf0 == 0xe0) {
        Err(RlocError::Multicast)
    } else if !v6 && a.iter().all(|&b| b == 0xff) {
        Err(RlocError::Broadcast)
    } else {
        Ok(())
    }
}

/// Checks a configured set of locators: at most [`MAX_RLOCS`], weights 0 to 100, addresses
/// neither unspecified, multicast nor broadcast, no address twice. An empty set is valid (a
/// negative map-cache entry).
pub fn validate(rlocs: &[Rloc]) -> Result<(), RlocError> {
    if rlocs.len() > MAX_RLOCS {
        return Err(RlocError::TooMany);
    }
    for (i, r) in rlocs.iter().enumerate() {
        validate_one(r)?;
        let earlier = rlocs.get(..i).unwrap_or(&[]);
        if earlier.iter().any(|o| o.addr.same(&r.addr)) {
            return Err(RlocError::Duplicate);
        }
    }
    Ok(())
}

/// Chooses the locator for a flow with 32-bit hash `hash`; returns its index in `rlocs`.
///
/// Among the usable locators (up, priority not 255) of the best (lowest) priority, each gets a
/// share of the hash space proportional to its weight; when all their weights are 0 they share
/// it equally. The same hash always gives the same choice. `None` when no locator is usable.
/// Weights are used as given (see [`validate`]); no division is made.
pub fn select(rlocs: &[Rloc], hash: u32) -> Option<usize> {
    let best = rlocs
        .iter()
        .filter(|r| r.usable())
        .map(|r| r.priority)
        .min()?;
    let candidates = || {
        rlocs
            .iter()
            .enumerate()
            .filter(move |(_, r)| r.usable() && r.priority == best)
    };
    let weighted: u64 = candidates().map(|(_, r)| u64::from(r.weight)).sum();
    let share = |r: &Rloc| {
        if weighted == 0 {
            1
        } else {
            u64::from(r.weight)
        }
    };
    let total: u64 = if weighted == 0 {
        candidates().map(|_| 1u64).sum()
    } else {
        weighted
    };
    // Scale the hash into `0..total` by multiply-shift; clamping `total` (only possible with
    // millions of locators) keeps the product within 64 bits and the target below the total.
    let total = u64::from(u32::try_from(total).unwrap_or(u32::MAX));
    let target = (u64::from(hash) * total) >> 32;
    let mut acc = 0u64;
    let mut last = None;
    for (i, r) in candidates() {
        acc += share(r);
        if target < acc {
            return Some(i);
        }
        last = Some(i);
    }
    last
}

/// Whether `addr` (4 bytes for IPv4, 16 for IPv6) is one of `rlocs`: the source check of
/// decapsulated packets. Every listed locator counts, whatever its state, priority or weight:
/// a locator marked down or unusable for sending may still be the source a site sends from.
/// An IPv4 address never equals an IPv6 one (not even an IPv4-mapped one).
pub fn lists(rlocs: &[Rloc], addr: &[u8]) -> bool {
    let Some(addr) = IpAddr::from_slice(addr) else {
        return false;
    };
    rlocs.iter().any(|r| r.addr.same(&addr))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn lists_matches_family_and_address_only() {
        let v4 = |a: [u8; 4], up: bool, priority: u8| {
            let mut addr = [0u8; 16];
            addr[..4].copy_from_slice(&a);
            // Bytes past an IPv4 address are ignored, whatever they hold.
            addr[4] = 0xee;
            Rloc {
                addr: IpAddr {
                    bytes: addr,
                    v6: false,
                },
                priority,
                weight: 0,
                up,
            }
        };
        let mut six = [0u8; 16];
        six[0] = 0x20;
        six[1] = 0x01;
        six[15] = 1;
        let v6 = Rloc {
            addr: IpAddr::v6(six),
            priority: 1,
            weight: 100,
            up: true,
        };
        let set = [
            v4([192, 0, 2, 1], true, 1),
            v4([192, 0, 2, 2], false, 255),
            v6,
        ];
        assert!(lists(&set, &[192, 0, 2, 1]));
        // Down and priority 255 locators are still the site's.
        assert!(lists(&set, &[192, 0, 2, 2]));
        assert!(!lists(&set, &[192, 0, 2, 3]));
        assert!(lists(&set, &six));
        let mut other = six;
        other[15] = 2;
        assert!(!lists(&set, &other));
        // The IPv4 bytes of an IPv6 locator, or an IPv4-mapped address, are not IPv4 locators.
        assert!(!lists(&[v6], &[0x20, 0x01, 0, 0]));
        let mut mapped = [0u8; 16];
        mapped[10] = 0xff;
        mapped[11] = 0xff;
        mapped[12..].copy_from_slice(&[192, 0, 2, 1]);
        assert!(!lists(&set, &mapped));
        // A negative entry (no locator) and malformed lengths never match.
        assert!(!lists(&[], &[192, 0, 2, 1]));
        assert!(!lists(&set, &[192, 0, 2]));
        assert!(!lists(&set, &[]));
    }

    /// Counts how often each index is chosen over `2^16` evenly spaced hashes.
    fn spread(rlocs: &[Rloc]) -> Vec<u32> {
        let mut counts = std::vec![0u32; rlocs.len()];
        for i in 0..1u32 << 16 {
            let k = select(rlocs, i << 16).expect("a usable RLOC");
            counts[k] += 1;
        }
        counts
    }

    /// Asserts that `count` out of `2^16` is within 2 points of `share`.
    fn assert_share(count: u32, share: f64) {
        let got = f64::from(count) / 65536.0;
        assert!((got - share).abs() <= 0.02, "got {got}, want {share}");
    }

    #[test]
    fn prefers_lowest_priority() {
        let r = [
            Rloc::v4([10, 0, 0, 1], 2, 100),
            Rloc::v4([10, 0, 0, 2], 1, 10),
            Rloc::v4([10, 0, 0, 3], 1, 20),
        ];
        let c = spread(&r);
        assert_eq!(c[0], 0);
        assert_share(c[1], 1.0 / 3.0);
        assert_share(c[2], 2.0 / 3.0);
    }

    #[test]
    fn skips_unusable_and_down() {
        let mut r = [
            Rloc::v4([10, 0, 0, 1], 255, 100),
            Rloc::v4([10, 0, 0, 2], 0, 50),
            Rloc::v4([10, 0, 0, 3], 7, 50),
        ];
        r[1].up = false;
        for h in [0, 1, 0x8000_0000, u32::MAX] {
            assert_eq!(select(&r, h), Some(2));
        }
        r[2].up = false;
        assert_eq!(select(&r, 12345), None);
        assert_eq!(select(&[], 0), None);
        let all_255 = [Rloc::v6(
            [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            255,
            1,
        )];
        assert_eq!(select(&all_255, 0), None);
    }

    #[test]
    fn deterministic() {
        let r = [
            Rloc::v4([10, 0, 0, 1], 1, 33),
            Rloc::v4([10, 0, 0, 2], 1, 33),
            Rloc::v4([10, 0, 0, 3], 1, 34),
        ];
        let mut x = 0x1234_5678u32;
        for _ in 0..1000 {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            assert_eq!(select(&r, x), select(&r, x));
        }
        // Boundaries of the hash space.
        assert_eq!(select(&r, 0), Some(0));
        assert_eq!(select(&r, u32::MAX), Some(2));
    }

    #[test]
    fn weight_proportions() {
        let r = [
            Rloc::v4([10, 0, 0, 1], 3, 10),
            Rloc::v4([10, 0, 0, 2], 3, 30),
            Rloc::v4([10, 0, 0, 3], 9, 100),
            Rloc::v4([10, 0, 0, 4], 3, 60),
            Rloc::v4([10, 0, 0, 5], 3, 0),
        ];
        let c = spread(&r);
        assert_share(c[0], 0.1);
        assert_share(c[1], 0.3);
        assert_eq!(c[2], 0);
        assert_share(c[3], 0.6);
        assert_eq!(c[4], 0, "weight 0 gets nothing when others have weight");
        let r = [
            Rloc::v4([10, 0, 0, 1], 0, 1),
            Rloc::v4([10, 0, 0, 2], 0, 99),
        ];
        let c = spread(&r);
        assert_share(c[0], 0.01);
        assert_share(c[1], 0.99);
        assert!(c[0] > 0);
    }

    #[test]
    fn all_zero_weights_split_equally() {
        let r = [
            Rloc::v4([10, 0, 0, 1], 5, 0),
            Rloc::v4([10, 0, 0, 2], 5, 0),
            Rloc::v4([10, 0, 0, 3], 5, 0),
            Rloc::v4([10, 0, 0, 4], 6, 100),
        ];
        let c = spread(&r);
        for &n in &c[..3] {
            assert_share(n, 1.0 / 3.0);
        }
        assert_eq!(c[3], 0);
    }

    #[test]
    fn weights_above_100_do_not_panic() {
        let r = [
            Rloc::v4([10, 0, 0, 1], 0, 255),
            Rloc::v4([10, 0, 0, 2], 0, 255),
        ];
        let c = spread(&r);
        assert_share(c[0], 0.5);
    }

    #[test]
    fn validates() {
        let ok = [
            Rloc::v4([192, 0, 2, 1], 1, 100),
            Rloc::v6(
                [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
                1,
                0,
            ),
            Rloc::v4([127, 0, 0, 1], 255, 0),
        ];
        assert_eq!(validate(&ok), Ok(()));
        assert_eq!(validate(&[]), Ok(()));
        let eight: Vec<Rloc> = (1..=8).map(|i| Rloc::v4([10, 0, 0, i], 1, 1)).collect();
        assert_eq!(validate(&eight), Ok(()));
        let nine: Vec<Rloc> = (1..=9).map(|i| Rloc::v4([10, 0, 0, i], 1, 1)).collect();
        assert_eq!(validate(&nine), Err(RlocError::TooMany));

        let bad = |r: Rloc| validate(&[Rloc::v4([10, 0, 0, 1], 1, 1), r]);
        assert_eq!(bad(Rloc::v4([10, 0, 0, 2], 1, 101)), Err(RlocError::Weight));
        assert_eq!(
            bad(Rloc::v4([0, 0, 0, 0], 1, 1)),
            Err(RlocError::Unspecified)
        );
        assert_eq!(bad(Rloc::v6([0; 16], 1, 1)), Err(RlocError::Unspecified));
        assert_eq!(
            bad(Rloc::v4([224, 0, 0, 1], 1, 1)),
            Err(RlocError::Multicast)
        );
        assert_eq!(
            bad(Rloc::v4([239, 1, 2, 3], 1, 1)),
            Err(RlocError::Multicast)
        );
        let mut mc6 = [0u8; 16];
        mc6[0] = 0xff;
        mc6[1] = 0x02;
        mc6[15] = 1;
        assert_eq!(bad(Rloc::v6(mc6, 1, 1)), Err(RlocError::Multicast));
        assert_eq!(bad(Rloc::v4([255; 4], 1, 1)), Err(RlocError::Broadcast));
        assert_eq!(
            bad(Rloc::v4([10, 0, 0, 1], 2, 2)),
            Err(RlocError::Duplicate)
        );
        // An IPv4 address ignores bytes 4..; the same bytes as IPv6 are another address.
        let mut v4 = Rloc::v4([10, 0, 0, 1], 1, 1);
        v4.addr.bytes[9] = 7;
        assert_eq!(bad(v4), Err(RlocError::Duplicate));
        let mut v6 = [0u8; 16];
        v6[..4].copy_from_slice(&[10, 0, 0, 1]);
        assert_eq!(bad(Rloc::v6(v6, 1, 1)), Ok(()));

        for e in [
            RlocError::TooMany,
            RlocError::Weight,
            RlocError::Unspecified,
            RlocError::Multicast,
            RlocError::Broadcast,
            RlocError::Duplicate,
        ] {
            assert!(!e.message().to_bytes().is_empty());
        }
        assert_eq!(RlocError::Weight.message(), c"RLOC weight must be 0-100");
    }
}
