//! The example bots of `flows/`, compiled into the binary: `tessera serve` publishes them when
//! it finds no flows directory (an installed binary run from anywhere still has its demos).

/// (file stem, JSON) of every bot in `flows/`.
pub const BUNDLED: &[(&str, &str)] = &[
    ("booking", include_str!("../flows/booking.json")),
    ("browser-demo", include_str!("../flows/browser-demo.json")),
    (
        "document-upload",
        include_str!("../flows/document-upload.json"),
    ),
    (
        "inputs-showcase",
        include_str!("../flows/inputs-showcase.json"),
    ),
    ("lead-capture", include_str!("../flows/lead-capture.json")),
    (
        "linked-checkout",
        include_str!("../flows/linked-checkout.json"),
    ),
    (
        "logic-showcase",
        include_str!("../flows/logic-showcase.json"),
    ),
    ("payment-demo", include_str!("../flows/payment-demo.json")),
    (
        "support-triage",
        include_str!("../flows/support-triage.json"),
    ),
    ("survey", include_str!("../flows/survey.json")),
    ("welcome", include_str!("../flows/welcome.json")),
];

#[cfg(test)]
mod tests {
    use super::BUNDLED;

    #[test]
    fn every_bot_of_the_flows_folder_is_bundled() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("flows");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .map(|d| {
                d.flatten()
                    .filter_map(|e| e.file_name().to_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        on_disk.retain(|n| n.ends_with(".json"));
        on_disk.sort();
        let mut bundled: Vec<String> = BUNDLED.iter().map(|(s, _)| format!("{s}.json")).collect();
        bundled.sort();
        assert_eq!(bundled, on_disk, "add the new bot to src/bundled.rs");
    }
}
