//! IP address classification: which addresses outbound requests may never reach, and why.
//!
//! Pure functions, no I/O. The tables here are the single source of truth for blocked ranges;
//! `guard.rs` applies them (and the allowlist) to literal hosts and to every resolved address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Message for cloud metadata endpoints (addresses and host names).
pub(crate) const METADATA_MESSAGE: &str =
    "Access to cloud metadata endpoints is not allowed for security reasons.";

/// Why an address is refused: the blocked range it falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Blocked {
    /// Plural noun phrase, e.g. "loopback addresses"; empty for metadata endpoints.
    label: &'static str,
    /// First address of the range.
    net: IpAddr,
    /// Prefix length; a full-length prefix is shown as the bare address.
    len: u8,
    /// Blocked even when the host is allowlisted (link-local and metadata).
    pub(crate) always: bool,
}

impl Blocked {
    /// The text Typebot puts after "Security validation failed: ", e.g.
    /// "Access to loopback addresses (127.0.0.0/8) is not allowed for security reasons."
    pub(crate) fn message(&self) -> String {
        if self.label.is_empty() {
            return METADATA_MESSAGE.to_owned();
        }
        let (label, net) = (self.label, self.net);
        let full = if net.is_ipv4() { 32 } else { 128 };
        let range = if self.len == full {
            net.to_string()
        } else {
            format!("{net}/{}", self.len)
        };
        format!("Access to {label} ({range}) is not allowed for security reasons.")
    }

    const fn always(self) -> Self {
        Self {
            always: true,
            ..self
        }
    }
}

const fn v4(octets: [u8; 4], len: u8, label: &'static str) -> Blocked {
    let net = IpAddr::V4(Ipv4Addr::new(octets[0], octets[1], octets[2], octets[3]));
    Blocked {
        label,
        net,
        len,
        always: false,
    }
}

const fn v6(bits: u128, len: u8, label: &'static str) -> Blocked {
    Blocked {
        label,
        net: IpAddr::V6(Ipv6Addr::from_bits(bits)),
        len,
        always: false,
    }
}

const METADATA: Blocked = v4([0, 0, 0, 0], 0, "").always();

/// Cloud metadata / instance-identity endpoints. Most are link-local anyway; listing them gives
/// the specific message, and the others (CGNAT, ULA, public) could otherwise be allowlisted.
const METADATA_IPS: [IpAddr; 8] = [
    IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)), // AWS, GCP, Azure, OCI, DigitalOcean, ...
    IpAddr::V4(Ipv4Addr::new(169, 254, 170, 2)),   // AWS ECS task metadata
    IpAddr::V4(Ipv4Addr::new(169, 254, 170, 23)),  // AWS EKS pod identity
    IpAddr::V4(Ipv4Addr::new(100, 100, 100, 200)), // Alibaba Cloud
    IpAddr::V4(Ipv4Addr::new(168, 63, 129, 16)),   // Azure WireServer
    IpAddr::V4(Ipv4Addr::new(192, 0, 0, 192)),     // Oracle Cloud legacy metadata
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)), // AWS IMDS over IPv6
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x23)), // AWS EKS pod identity, IPv6
];

/// Blocked IPv4 ranges. The first match wins, so broadcast comes before reserved 240/4.
const V4_RANGES: [Blocked; 16] = [
    v4([0, 0, 0, 0], 8, "unspecified addresses"),
    v4([10, 0, 0, 0], 8, "private addresses"),
    v4([100, 64, 0, 0], 10, "carrier-grade NAT addresses"),
    v4([127, 0, 0, 0], 8, "loopback addresses"),
    v4([169, 254, 0, 0], 16, "link-local addresses").always(),
    v4([172, 16, 0, 0], 12, "private addresses"),
    v4([192, 0, 0, 0], 24, "reserved addresses"),
    v4([192, 0, 2, 0], 24, "documentation addresses"),
    v4([192, 88, 99, 0], 24, "reserved addresses"),
    v4([192, 168, 0, 0], 16, "private addresses"),
    v4([198, 18, 0, 0], 15, "benchmarking addresses"),
    v4([198, 51, 100, 0], 24, "documentation addresses"),
    v4([203, 0, 113, 0], 24, "documentation addresses"),
    v4([224, 0, 0, 0], 4, "multicast addresses"),
    v4([255, 255, 255, 255], 32, "broadcast addresses"),
    v4([240, 0, 0, 0], 4, "reserved addresses"),
];

/// Blocked IPv6 ranges. Forms embedding an IPv4 address (including all of 6to4 2002::/16)
/// are judged by that address instead, see [`embedded_v4`].
const V6_RANGES: [Blocked; 12] = [
    v6(0, 128, "unspecified addresses"),
    v6(1, 128, "loopback addresses"),
    v6(0x0064_ff9b_0001 << 80, 48, "local-use NAT64 addresses"),
    v6(0x0100 << 112, 64, "discard-only addresses"),
    v6(0x2001_0002 << 96, 48, "benchmarking addresses"),
    v6(0x2001_0db8 << 96, 32, "documentation addresses"),
    // Teredo hides an obfuscated IPv4 address behind a relay: never a legitimate webhook target.
    v6(0x2001_0000 << 96, 32, "Teredo addresses"),
    v6(0x3fff << 112, 20, "documentation addresses"),
    v6(0xfc00 << 112, 7, "unique local addresses"),
    v6(0xfe80 << 112, 10, "link-local addresses").always(),
    v6(0xfec0 << 112, 10, "site-local addresses"),
    v6(0xff00 << 112, 8, "multicast addresses"),
];

/// Returns why `ip` must not be contacted, or `None` for an ordinary public address.
pub(crate) fn classify(ip: IpAddr) -> Option<Blocked> {
    if METADATA_IPS.contains(&ip) {
        return Some(METADATA);
    }
    match ip {
        IpAddr::V4(v4) => {
            let bits = u128::from(v4.to_bits());
            V4_RANGES
                .iter()
                .copied()
                .find(|range| contains(range, bits, 32))
        }
        IpAddr::V6(v6) => match embedded_v4(v6) {
            // The packet ends up at the embedded IPv4 address, so that is what gets judged.
            Some(v4) => classify(IpAddr::V4(v4)),
            None => V6_RANGES
                .iter()
                .copied()
                .find(|range| contains(range, v6.to_bits(), 128)),
        },
    }
}

fn contains(range: &Blocked, bits: u128, width: u32) -> bool {
    let net = match range.net {
        IpAddr::V4(net) => u128::from(net.to_bits()),
        IpAddr::V6(net) => net.to_bits(),
    };
    let host_bits = width - u32::from(range.len);
    bits.checked_shr(host_bits).unwrap_or(0) == net.checked_shr(host_bits).unwrap_or(0)
}

/// The IPv4 address an IPv6 address stands for, for every form that carries one:
/// IPv4-mapped `::ffff:a.b.c.d`, IPv4-translated `::ffff:0:a.b.c.d`, IPv4-compatible `::a.b.c.d`
/// (but not `::` and `::1`), NAT64 `64:ff9b::a.b.c.d` and 6to4 `2002:aabb:ccdd::/48`.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let bits = ip.to_bits();
    // The `as u32` casts deliberately keep just the 32 bits that hold the IPv4 address.
    let low32 = Ipv4Addr::from_bits(bits as u32);
    match bits >> 32 {
        0xffff | 0xffff_0000 | 0x0064_ff9b_0000_0000_0000_0000 => Some(low32),
        0 if bits > 1 => Some(low32),
        _ if bits >> 112 == 0x2002 => Some(Ipv4Addr::from_bits((bits >> 80) as u32)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(ip: &str) -> Option<String> {
        let ip: IpAddr = ip.parse().expect("test address parses");
        classify(ip).map(|b| b.message())
    }

    fn named(what: &str) -> Option<String> {
        Some(format!(
            "Access to {what} is not allowed for security reasons."
        ))
    }

    #[test]
    fn every_blocked_ipv4_class_is_named() {
        let cases = [
            ("127.0.0.1", "loopback addresses (127.0.0.0/8)"),
            ("127.255.255.254", "loopback addresses (127.0.0.0/8)"),
            ("0.0.0.0", "unspecified addresses (0.0.0.0/8)"),
            ("0.1.2.3", "unspecified addresses (0.0.0.0/8)"),
            ("10.1.2.3", "private addresses (10.0.0.0/8)"),
            ("172.16.0.1", "private addresses (172.16.0.0/12)"),
            ("172.31.255.255", "private addresses (172.16.0.0/12)"),
            ("192.168.1.1", "private addresses (192.168.0.0/16)"),
            ("100.64.0.1", "carrier-grade NAT addresses (100.64.0.0/10)"),
            (
                "100.127.255.255",
                "carrier-grade NAT addresses (100.64.0.0/10)",
            ),
            ("169.254.1.1", "link-local addresses (169.254.0.0/16)"),
            ("224.0.0.1", "multicast addresses (224.0.0.0/4)"),
            ("239.255.255.250", "multicast addresses (224.0.0.0/4)"),
            ("255.255.255.255", "broadcast addresses (255.255.255.255)"),
            ("240.0.0.1", "reserved addresses (240.0.0.0/4)"),
            ("192.0.0.8", "reserved addresses (192.0.0.0/24)"),
            ("192.0.2.1", "documentation addresses (192.0.2.0/24)"),
            ("198.51.100.7", "documentation addresses (198.51.100.0/24)"),
            ("203.0.113.9", "documentation addresses (203.0.113.0/24)"),
            ("198.18.0.1", "benchmarking addresses (198.18.0.0/15)"),
            ("198.19.255.1", "benchmarking addresses (198.18.0.0/15)"),
        ];
        for (ip, what) in cases {
            assert_eq!(msg(ip), named(what), "{ip}");
        }
    }

    #[test]
    fn every_blocked_ipv6_class_is_named() {
        let cases = [
            ("::1", "loopback addresses (::1)"),
            ("::", "unspecified addresses (::)"),
            ("fe80::1", "link-local addresses (fe80::/10)"),
            ("febf::1", "link-local addresses (fe80::/10)"),
            ("fc00::1", "unique local addresses (fc00::/7)"),
            ("fd12:3456::1", "unique local addresses (fc00::/7)"),
            ("ff02::1", "multicast addresses (ff00::/8)"),
            ("2001:db8::1", "documentation addresses (2001:db8::/32)"),
            ("3fff::1", "documentation addresses (3fff::/20)"),
            ("2001:2::1", "benchmarking addresses (2001:2::/48)"),
            ("2001:0:4136:e378::1", "Teredo addresses (2001::/32)"),
            ("100::1", "discard-only addresses (100::/64)"),
            ("64:ff9b:1::1", "local-use NAT64 addresses (64:ff9b:1::/48)"),
            ("fec0::1", "site-local addresses (fec0::/10)"),
        ];
        for (ip, what) in cases {
            assert_eq!(msg(ip), named(what), "{ip}");
        }
    }

    #[test]
    fn ipv6_forms_embedding_ipv4_are_judged_by_the_ipv4_address() {
        let cases = [
            ("::ffff:127.0.0.1", "loopback addresses (127.0.0.0/8)"),
            ("::ffff:0:127.0.0.1", "loopback addresses (127.0.0.0/8)"),
            ("::127.0.0.1", "loopback addresses (127.0.0.0/8)"),
            ("64:ff9b::127.0.0.1", "loopback addresses (127.0.0.0/8)"),
            ("2002:7f00:1::", "loopback addresses (127.0.0.0/8)"),
            ("2002:7f00:1:ffff::1", "loopback addresses (127.0.0.0/8)"),
            ("::ffff:10.0.0.1", "private addresses (10.0.0.0/8)"),
            ("2002:a9fe:0101::", "link-local addresses (169.254.0.0/16)"),
            ("64:ff9b::a9fe:a9fe", "cloud metadata endpoints"),
        ];
        for (ip, what) in cases {
            assert_eq!(msg(ip), named(what), "{ip}");
        }
        // Embedded public addresses are fine (NAT64 on IPv6-only hosts is legitimate).
        for ip in ["::ffff:8.8.8.8", "64:ff9b::8.8.8.8", "2002:0808:0808::1"] {
            assert_eq!(msg(ip), None, "{ip}");
        }
    }

    #[test]
    fn metadata_and_link_local_cannot_be_reallowed_other_ranges_can() {
        let metadata = [
            "169.254.169.254",
            "100.100.100.200",
            "168.63.129.16",
            "fd00:ec2::254",
        ];
        for ip in metadata.into_iter().chain(["::ffff:169.254.169.254"]) {
            let blocked = classify(ip.parse().expect("parses")).expect("metadata is blocked");
            assert!(blocked.always, "{ip}");
            assert_eq!(blocked.message(), METADATA_MESSAGE);
        }
        for (ip, always) in [
            ("fe80::1", true),
            ("169.254.0.9", true),
            ("10.0.0.1", false),
        ] {
            let blocked = classify(ip.parse().expect("parses")).expect("blocked");
            assert_eq!(blocked.always, always, "{ip}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        let v4 = [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.0",
            "172.32.0.1",
        ];
        for ip in v4
            .into_iter()
            .chain(["2606:4700::1111", "2a00:1450::1", "2001:4860::1"])
        {
            assert_eq!(msg(ip), None, "{ip}");
        }
    }
}
