//! Static numbering-plan data for [`super::phone`]: calling codes, national-number lengths,
//! trunk (national) prefixes and international call prefixes.

/// ISO 3166-1 alpha-2 code (plus XK Kosovo, AC Ascension, TA Tristan da Cunha) followed by the
/// country calling code, space separated.
const CALLING_CODES: &str = "\
AC247 AD376 AE971 AF93 AG1 AI1 AL355 AM374 AO244 AQ672 AR54 AS1 AT43 AU61 AW297 AX358 AZ994 \
BA387 BB1 BD880 BE32 BF226 BG359 BH973 BI257 BJ229 BL590 BM1 BN673 BO591 BQ599 BR55 BS1 BT975 \
BV47 BW267 BY375 BZ501 CA1 CC61 CD243 CF236 CG242 CH41 CI225 CK682 CL56 CM237 CN86 CO57 CR506 \
CU53 CV238 CW599 CX61 CY357 CZ420 DE49 DJ253 DK45 DM1 DO1 DZ213 EC593 EE372 EG20 EH212 ER291 \
ES34 ET251 FI358 FJ679 FK500 FM691 FO298 FR33 GA241 GB44 GD1 GE995 GF594 GG44 GH233 GI350 \
GL299 GM220 GN224 GP590 GQ240 GR30 GS500 GT502 GU1 GW245 GY592 HK852 HM672 HN504 HR385 HT509 \
HU36 ID62 IE353 IL972 IM44 IN91 IO246 IQ964 IR98 IS354 IT39 JE44 JM1 JO962 JP81 KE254 KG996 \
KH855 KI686 KM269 KN1 KP850 KR82 KW965 KY1 KZ7 LA856 LB961 LC1 LI423 LK94 LR231 LS266 LT370 \
LU352 LV371 LY218 MA212 MC377 MD373 ME382 MF590 MG261 MH692 MK389 ML223 MM95 MN976 MO853 MP1 \
MQ596 MR222 MS1 MT356 MU230 MV960 MW265 MX52 MY60 MZ258 NA264 NC687 NE227 NF672 NG234 NI505 \
NL31 NO47 NP977 NR674 NU683 NZ64 OM968 PA507 PE51 PF689 PG675 PH63 PK92 PL48 PM508 PN64 PR1 \
PS970 PT351 PW680 PY595 QA974 RE262 RO40 RS381 RU7 RW250 SA966 SB677 SC248 SD249 SE46 SG65 \
SH290 SI386 SJ47 SK421 SL232 SM378 SN221 SO252 SR597 SS211 ST239 SV503 SX1 SY963 SZ268 TA290 \
TC1 TD235 TF262 TG228 TH66 TJ992 TK690 TL670 TM993 TN216 TO676 TR90 TT1 TV688 TW886 TZ255 \
UA380 UG256 UM1 US1 UY598 UZ998 VA39 VC1 VE58 VG1 VI1 VN84 VU678 WF681 WS685 XK383 YE967 YT262 \
ZA27 ZM260 ZW263";

/// Non-geographic calling codes (international freephone, satellite, networks).
const NON_GEOGRAPHIC: [u16; 9] = [800, 808, 870, 878, 881, 882, 883, 888, 979];

/// How national significant numbers (NSN) look behind one calling code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Plan {
    /// Shortest NSN, in digits.
    pub min: usize,
    /// Longest NSN, in digits.
    pub max: usize,
    /// Trunk prefixes dialled before the NSN inside the country, `|`-separated ("" = none).
    pub trunk: &'static str,
}

/// Plan used for calling codes without an entry in [`PLANS`].
const DEFAULT_PLAN: Plan = Plan {
    min: 4,
    max: 14,
    trunk: "0",
};

/// Calling code, shortest NSN, longest NSN, trunk prefixes; for the most common countries.
/// Where several countries share a code, the plan fits all of them.
#[rustfmt::skip]
const PLANS: &[(u16, usize, usize, &str)] = &[
    (1, 10, 10, "1"), (7, 10, 10, "8"), (20, 8, 10, "0"), (27, 9, 9, "0"), (30, 10, 10, ""),
    (31, 9, 9, "0"), (32, 8, 9, "0"), (33, 9, 9, "0"), (34, 9, 9, ""), (36, 8, 9, "06"),
    (39, 6, 11, ""), (40, 9, 9, "0"), (41, 9, 9, "0"), (43, 4, 13, "0"), (44, 7, 10, "0"),
    (45, 8, 8, ""), (46, 6, 10, "0"), (47, 8, 8, ""), (48, 9, 9, ""), (49, 6, 13, "0"),
    (51, 8, 9, "0"), (52, 10, 10, "044|045|01|1"), (54, 10, 11, "0"), (55, 10, 11, "0"),
    (56, 9, 9, ""), (57, 8, 10, "0"), (58, 10, 10, "0"), (60, 8, 10, "0"), (61, 9, 9, "0"),
    (62, 8, 12, "0"), (63, 8, 10, "0"), (64, 8, 10, "0"), (65, 8, 8, ""), (66, 8, 9, "0"),
    (81, 9, 10, "0"), (82, 8, 11, "0"), (84, 9, 10, "0"), (86, 7, 12, "0"), (90, 10, 10, "0"),
    (91, 10, 10, "0"), (92, 9, 11, "0"), (98, 10, 10, "0"), (212, 9, 9, "0"), (213, 8, 9, "0"),
    (216, 8, 8, ""), (225, 10, 10, ""), (233, 9, 9, "0"), (234, 8, 10, "0"), (254, 7, 10, "0"),
    (351, 9, 9, ""), (352, 4, 11, ""), (353, 7, 9, "0"), (358, 5, 12, "0"), (359, 8, 9, "0"),
    (370, 8, 8, "8|0"), (372, 7, 8, ""), (374, 8, 8, "0"), (375, 9, 9, "8"), (378, 6, 10, ""),
    (380, 9, 9, "0"), (385, 8, 9, "0"), (386, 8, 8, "0"), (420, 9, 9, ""), (421, 9, 9, "0"),
    (852, 8, 8, ""), (853, 8, 8, ""), (880, 8, 10, "0"), (886, 8, 9, "0"), (961, 7, 8, "0"),
    (962, 8, 9, "0"), (965, 8, 8, ""), (966, 9, 9, "0"), (971, 8, 9, "0"), (972, 8, 9, "0"),
    (974, 8, 8, ""), (994, 9, 9, "0"), (995, 9, 9, "0"), (996, 9, 9, "0"), (998, 9, 9, ""),
    (800, 8, 8, ""), (808, 8, 8, ""), (870, 9, 9, ""), (878, 12, 12, ""), (881, 9, 10, ""),
    (882, 7, 12, ""), (883, 9, 12, ""), (888, 11, 11, ""), (979, 9, 9, ""),
];

/// The calling code of an ISO 3166-1 alpha-2 country code (case-insensitive).
pub(super) fn calling_code(iso: &str) -> Option<u16> {
    let iso = iso.trim();
    if iso.len() != 2 || !iso.is_ascii() {
        return None;
    }
    CALLING_CODES.split_ascii_whitespace().find_map(|entry| {
        let (code, cc) = entry.split_at(2);
        code.eq_ignore_ascii_case(iso)
            .then(|| cc.parse().ok())
            .flatten()
    })
}

/// Whether `cc` is an assigned country calling code. Assigned codes are prefix-free.
pub(super) fn is_calling_code(cc: u16) -> bool {
    NON_GEOGRAPHIC.contains(&cc)
        || CALLING_CODES
            .split_ascii_whitespace()
            .any(|entry| entry.get(2..).and_then(|c| c.parse::<u16>().ok()) == Some(cc))
}

/// The numbering plan behind a calling code ([`DEFAULT_PLAN`] when not tabulated).
pub(super) fn plan(cc: u16) -> Plan {
    PLANS
        .iter()
        .find(|(code, ..)| *code == cc)
        .map_or(DEFAULT_PLAN, |&(_, min, max, trunk)| Plan {
            min,
            max,
            trunk,
        })
}

/// International call prefixes dialled from a country, replacing the `+`.
pub(super) fn idd_prefixes(cc: u16) -> &'static [&'static str] {
    match cc {
        1 => &["011"],
        61 => &["0011", "0014", "0015"],
        81 => &["010"],
        82 => &["001", "002", "005", "006", "008", "00700"],
        7 | 375 => &["810", "00"],
        _ => &["00"],
    }
}

#[cfg(test)]
mod tests {
    use super::{calling_code, idd_prefixes, is_calling_code, plan};

    #[test]
    fn looks_up_countries() {
        assert_eq!(calling_code("FR"), Some(33));
        assert_eq!(calling_code("us"), Some(1));
        assert_eq!(calling_code("ZW"), Some(263));
        assert_eq!(calling_code("XK"), Some(383));
        assert_eq!(calling_code("ZZ"), None);
        assert_eq!(calling_code(""), None);
        assert_eq!(calling_code("FRA"), None);
        assert_eq!(calling_code("É"), None);
    }

    #[test]
    fn table_is_well_formed_and_prefix_free() {
        let codes: Vec<u16> = super::CALLING_CODES
            .split_ascii_whitespace()
            .map(|e| {
                assert!(
                    e.len() >= 3 && e[..2].bytes().all(|b| b.is_ascii_uppercase()),
                    "{e}"
                );
                e[2..].parse().unwrap()
            })
            .chain(super::NON_GEOGRAPHIC)
            .collect();
        for a in &codes {
            for b in &codes {
                let (a, b) = (a.to_string(), b.to_string());
                assert!(a == b || !b.starts_with(&a), "{a} is a prefix of {b}");
            }
        }
        assert!(is_calling_code(44) && is_calling_code(800) && !is_calling_code(28));
        for (cc, min, max, _) in super::PLANS {
            assert!(is_calling_code(*cc) && min <= max, "{cc}");
        }
    }

    #[test]
    fn plans_and_prefixes() {
        assert_eq!(plan(33).min, 9);
        assert_eq!(plan(999).trunk, "0");
        assert_eq!(idd_prefixes(1), &["011"]);
        assert_eq!(idd_prefixes(33), &["00"]);
    }
}
