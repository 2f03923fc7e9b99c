// SPDX-License-Identifier: GPL-2.0
//
// The one representation of an IPv4 or IPv6 address in the module: locators, EIDs, local and
// outer addresses. Sixteen bytes and a family flag, as the netlink attributes and the kernel's
// tunnel keys carry them, so that no conversion happens on the packet path.

/// An IPv4 or IPv6 address.
///
/// An IPv4 address is in the first 4 bytes of `bytes`; the others are ignored by comparisons
/// of [`IpAddr::as_bytes`] and kept zero by the constructors.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IpAddr {
    /// The address.
    pub bytes: [u8; 16],
    /// Whether it is an IPv6 address.
    pub v6: bool,
}

impl IpAddr {
    /// An IPv4 address.
    pub fn v4(a: [u8; 4]) -> Self {
        let mut bytes = [0u8; 16];
        for (d, s) in bytes.iter_mut().zip(a) {
            *d = s;
        }
        Self { bytes, v6: false }
    }

    /// An IPv6 address.
    pub fn v6(bytes: [u8; 16]) -> Self {
        Self { bytes, v6: true }
    }

    /// The address of `b`: 4 bytes make an IPv4 address, 16 an IPv6 one, anything else none.
    pub fn from_slice(b: &[u8]) -> Option<Self> {
        match b.len() {
            4 | 16 => {
                let mut bytes = [0u8; 16];
                for (d, s) in bytes.iter_mut().zip(b) {
                    *d = *s;
                }
                Some(Self {
                    bytes,
                    v6: b.len() == 16,
                })
            }
            _ => None,
        }
    }

    /// The meaningful bytes: 4 for IPv4, 16 for IPv6.
    pub fn as_bytes(&self) -> &[u8] {
        let len = if self.v6 { 16 } else { 4 };
        self.bytes.get(..len).unwrap_or(&self.bytes)
    }

    /// Whether the two are the same address (same family, same meaningful bytes).
    pub fn same(&self, other: &Self) -> bool {
        self.v6 == other.v6 && self.as_bytes() == other.as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_bytes() {
        let a = IpAddr::v4([192, 0, 2, 1]);
        assert_eq!(a.as_bytes(), &[192, 0, 2, 1]);
        assert!(!a.v6);
        assert_eq!(IpAddr::from_slice(&[192, 0, 2, 1]), Some(a));
        let mut b16 = [0u8; 16];
        b16[..4].copy_from_slice(&[192, 0, 2, 1]);
        let b = IpAddr::from_slice(&b16).unwrap();
        assert!(b.v6);
        assert_eq!(b.as_bytes().len(), 16);
        // The same bytes in the other family are another address.
        assert!(!a.same(&b));
        assert_eq!(IpAddr::from_slice(&[1, 2, 3]), None);
        assert_eq!(IpAddr::from_slice(&[0; 17]), None);
    }

    #[test]
    fn ipv4_ignores_the_bytes_past_four() {
        let a = IpAddr::v4([10, 0, 0, 1]);
        let mut b = a;
        b.bytes[9] = 7;
        assert!(a.same(&b));
        assert_eq!(IpAddr::v6(b.bytes).as_bytes()[9], 7);
    }
}
