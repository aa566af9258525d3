use super::*;
use crate::eval::richtext::tests::parse;

#[test]
fn plain_values_skip_the_parser_with_the_same_nodes() {
    let plain = [
        "John",
        "john@example.com",
        "Website dev",
        "I need a new website",
        "José Ñandú",
        "O'Brien-Smith",
        "Hello, world.",
        "Is it ok?",
        "x1",
        "Straße 12b",
        "0",
        "42",
        "2024-05-01",
        "3 apples",
        "12b",
    ];
    for text in plain {
        assert!(is_plain(text), "{text}");
        assert_eq!(markdown_to_nodes(text), parse_markdown(text), "{text}");
    }
    let not_plain = [
        "",
        " John",
        "John ",
        "a  b",
        "1. one",
        "1.",
        "12.5",
        "3) x",
        "1.5 kg",
        "- item",
        "# title",
        "*bold*",
        "a_b_",
        "`c`",
        "[l](u)",
        "<b>x</b>",
        "a&amp;b",
        "a\\*b",
        "line\nbreak",
        "http://x.y",
        "a|b",
        "~~s~~",
        "a=b",
        "+ x",
        "!x",
    ];
    for text in not_plain {
        assert!(!is_plain(text), "{text}");
    }
}

/// Outputs of `@udecode/plate-markdown` 49 `deserializeMd(md, { splitLineBreaks: true })`.
const PLATE: &[(&str, &str)] = &[
    ("", "[]"),
    ("\n", "[]"),
    (
        "a\nb",
        r#"[{"children":[{"text":"a"}],"type":"p"},{"children":[{"text":"b"}],"type":"p"}]"#,
    ),
    (
        "a  \nb",
        r#"[{"children":[{"text":"a"}],"type":"p"},{"children":[{"text":"b"}],"type":"p"}]"#,
    ),
    (
        "a<br>b",
        r#"[{"children":[{"text":"a"}],"type":"p"},{"children":[{"text":"b"}],"type":"p"}]"#,
    ),
    (
        "\n\nHello\n\n",
        r#"[{"children":[{"text":""}],"type":"p"},{"children":[{"text":""}],"type":"p"},
        {"children":[{"text":"Hello"}],"type":"p"},{"children":[{"text":""}],"type":"p"}]"#,
    ),
    (
        "a\n\n\nb",
        r#"[{"children":[{"text":"a"}],"type":"p"},{"children":[{"text":""}],"type":"p"},
        {"children":[{"text":""}],"type":"p"},{"children":[{"text":"b"}],"type":"p"}]"#,
    ),
    (
        "***x*** **a _b_ c**",
        r#"[{"children":[{"italic":true,"bold":true,"text":"x"},{"text":" "},
        {"bold":true,"text":"a "},{"bold":true,"italic":true,"text":"b"},{"bold":true,"text":" c"}],"type":"p"}]"#,
    ),
    (
        "**a**\nb",
        r#"[{"children":[{"bold":true,"text":"a"},{"text":"b"}],"type":"p"}]"#,
    ),
    (
        "5*3*2 a_b_c",
        r#"[{"children":[{"text":"5"},{"italic":true,"text":"3"},{"text":"2 a_b_c"}],"type":"p"}]"#,
    ),
    (
        "john@example.com www.x.com",
        r#"[{"children":[{"text":"john@example.com www.x.com"}],"type":"p"}]"#,
    ),
    (
        "**`c` d**",
        r#"[{"children":[{"bold":true,"code":true,"text":"c"},{"bold":true,"text":" d"}],"type":"p"}]"#,
    ),
    (
        "**[a](u) z**",
        r#"[{"children":[{"children":[{"bold":true,"text":"a"}],"type":"a","url":"u"},
        {"bold":true,"text":" z"}],"type":"p"}]"#,
    ),
    (
        "<http://x.y>",
        r#"[{"children":[{"children":[{"text":"http://x.y"}],"type":"a","url":"http://x.y"}],"type":"p"}]"#,
    ),
    (
        "x ![a](u) y",
        r#"[{"children":[{"text":"x "}],"type":"p"},
        {"caption":[{"text":"a"}],"children":[{"text":""}],"type":"img","url":"u"},{"children":[{"text":" y"}],"type":"p"}]"#,
    ),
    (
        "- a\n  - b\n- c",
        r#"[{"children":[{"children":[{"children":[{"text":"a"}],"type":"lic"},
        {"children":[{"children":[{"children":[{"text":"b"}],"type":"lic"}],"type":"li"}],"type":"ul"}],"type":"li"},
        {"children":[{"children":[{"text":"c"}],"type":"lic"}],"type":"li"}],"type":"ul"}]"#,
    ),
    (
        "- a\n\n  second\n- b",
        r#"[{"children":[{"children":[{"children":[{"text":"a"}],"type":"lic"},
        {"children":[{"text":"second"}],"type":"lic"}],"type":"li"},{"children":[{"children":[{"text":"b"}],"type":"lic"}],"type":"li"}],"type":"ul"}]"#,
    ),
    (
        "- a\n  b",
        r#"[{"children":[{"children":[{"children":[{"text":"a\nb"}],"type":"lic"}],"type":"li"}],"type":"ul"}]"#,
    ),
    (
        "- \n- b",
        r#"[{"children":[{"children":[],"type":"li"},{"children":[{"children":[{"text":"b"}],"type":"lic"}],"type":"li"}],"type":"ul"}]"#,
    ),
    (
        "3. a",
        r#"[{"children":[{"children":[{"children":[{"text":"a"}],"type":"lic"}],"type":"li"}],"type":"ol"}]"#,
    ),
    (
        "- a\n- b\n\n\npara",
        r#"[{"children":[{"children":[{"children":[{"text":"a"}],"type":"lic"}],"type":"li"},
        {"children":[{"children":[{"text":"b"}],"type":"lic"}],"type":"li"}],"type":"ul"},
        {"children":[{"text":""}],"type":"p"},{"children":[{"text":""}],"type":"p"},{"children":[{"text":"para"}],"type":"p"}]"#,
    ),
    (
        "## T *e*\n===",
        r#"[{"children":[{"text":"T "},{"italic":true,"text":"e"}],"type":"h2"},{"children":[{"text":"==="}],"type":"p"}]"#,
    ),
    (
        "> a\n>\n> b",
        r#"[{"children":[{"text":"a"},{"text":"\n"},{"text":"\n"},{"text":"b"}],"type":"blockquote"}]"#,
    ),
    (
        "> **a** b\n> c",
        r#"[{"children":[{"bold":true,"text":"a"},{"text":" b\nc"}],"type":"blockquote"}]"#,
    ),
    (
        "```js\ncode\nline2\n```",
        r#"[{"children":[{"children":[{"text":"code"}],"type":"code_line"},
        {"children":[{"text":"line2"}],"type":"code_line"}],"lang":"js","type":"code_block"}]"#,
    ),
    (
        "a\n\n---\n\nb",
        r#"[{"children":[{"text":"a"}],"type":"p"},{"children":[{"text":""}],"type":"p"},
        {"children":[{"text":""}],"type":"hr"},{"children":[{"text":""}],"type":"p"},{"children":[{"text":"b"}],"type":"p"}]"#,
    ),
    (
        "<b>x</b> y",
        r#"[{"children":[{"text":"<b>"},{"text":"x"},{"text":"</b>"},{"text":" y"}],"type":"p"}]"#,
    ),
    (
        "<div>\nhi\n</div>",
        r#"[{"children":[{"text":"<div>\nhi\n</div>"}],"type":"p"}]"#,
    ),
    (
        "\\*x\\* &amp; &copy;",
        r#"[{"children":[{"text":"*x* & ©"}],"type":"p"}]"#,
    ),
    (
        "| a |\n|---|\n- [ ] t",
        r#"[{"children":[{"text":"| a |"}],"type":"p"},{"children":[{"text":"|---|"}],"type":"p"},
        {"children":[{"children":[{"children":[{"text":"[ ] t"}],"type":"lic"}],"type":"li"}],"type":"ul"}]"#,
    ),
];

#[test]
fn markdown_is_parsed_like_plate_markdown() {
    for (md, want) in PLATE {
        assert_eq!(
            Value::Array(markdown_to_nodes(md)),
            parse(want),
            "markdown {md:?}"
        );
    }
}

#[test]
fn plate_key_order_is_kept() {
    let got = serde_json::to_string(&markdown_to_nodes("**a** [b](u)")).expect("json");
    let want = r#"[{"children":[{"bold":true,"text":"a"},{"text":" "},{"children":[{"text":"b"}],"type":"a","url":"u"}],"type":"p"}]"#;
    assert_eq!(got, want);
}

#[test]
fn generated_plain_values_parse_as_the_fast_path_says() {
    // Numbers and mixed words, as counters, scores, dates and codes hold them: whenever the
    // fast path takes a value, the parser gives the same nodes.
    let mut taken = 0;
    for n in 0..600u32 {
        for text in [
            n.to_string(),
            format!("{n}.{}", n % 7),
            format!("{n}-{}", n * 3),
            format!("{n} items"),
            format!("{n}, {n}"),
            format!("{n}?"),
            format!("{n}."),
            format!("A{n}"),
            format!("{}{n}", n % 10),
        ] {
            if is_plain(&text) {
                taken += 1;
                assert_eq!(markdown_to_nodes(&text), parse_markdown(&text), "{text}");
            }
        }
    }
    assert!(taken > 3000, "{taken}");
}
