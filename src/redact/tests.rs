//! Unit and property tests of the redactor. Every secret-looking literal is assembled at run
//! time, so this repository holds none.

use proptest::prelude::*;

use super::*;

fn r(text: &str) -> String {
    redact_with_env(text, &[])
}

fn ghp(seed: &str) -> String {
    format!(
        "ghp_{}",
        seed.repeat(40 / seed.len() + 1).get(..36).unwrap()
    )
}

fn aws() -> String {
    format!("AKIA{}", "Q7XR2LMZ8WKD4PNH")
}

fn pem(body: &str) -> String {
    let kind = "RSA PRIVATE KEY";
    format!("-----BEGIN {kind}-----\n{body}\n-----END {kind}-----")
}

#[test]
fn url_credentials_are_masked_but_url_kept() {
    let out = r("fetching https://ci-bot:hunter22@example.com/repo.git now");
    assert_eq!(
        out,
        "fetching https://ci-bot:[REDACTED]@example.com/repo.git now"
    );
}

#[test]
fn known_tokens_are_masked() {
    let gh = format!("token {}", ghp("a1B2"));
    assert!(!r(&gh).contains("ghp_"), "{}", r(&gh));
    assert!(r(&format!("key {} used", aws())).contains(MASK));
    assert!(r("Authorization: Bearer abc.def.ghi123").contains("Authorization: Bearer [REDACTED]"));
    assert!(r("password = \"correct horse\"").contains(MASK));
    assert!(!r("password = \"correct horse\"").contains("horse"));
}

#[test]
fn env_secret_values_are_masked_literally() {
    let out = redact_with_env(
        "value is s3cr3t-v4lue!",
        &[("MY_API_TOKEN", "s3cr3t-v4lue!")],
    );
    assert_eq!(out, "value is [REDACTED]");
    // Not secret by name: left alone.
    let out = redact_with_env("value is not-a-secret", &[("HOME_DIR", "not-a-secret")]);
    assert_eq!(out, "value is not-a-secret");
    // Well-known names that only look secret.
    let out = redact_with_env("by Jane Doe", &[("GIT_AUTHOR_NAME", "Jane Doe")]);
    assert_eq!(out, "by Jane Doe");
}

/// Issue 9 item 6: a 7-character secret in a secret-named variable, and short values in
/// secret-named fields.
#[test]
fn short_secrets_in_secret_named_fields_are_masked() {
    let seven = ["q9", "Lx", "2z!"].concat();
    let out = redact_with_env(
        &format!("connecting with {seven} to smtp"),
        &[("SMTP_PASSWORD", &seven)],
    );
    assert!(!out.contains(&seven), "{out}");
    for text in [
        format!("SMTP_PASSWORD={seven}"),
        "SMTP_PASSWORD=ab1".to_string(),
        "\"db_password\": \"x y\"".to_string(),
        "token: 'k3y'".to_string(),
    ] {
        let out = r(&text);
        assert!(out.contains(MASK), "{text} -> {out}");
        assert!(!out.contains(&seven) && !out.contains("ab1") && !out.contains("k3y"));
    }
}

/// Issue 9 item 5: a lockfile with a 130-character URL password and, further down, a GitHub
/// token printed the token (the URL rule shortened the text, the token rule sliced stale).
#[test]
fn long_url_password_then_token_both_masked() {
    let password: String = "pA5s".repeat(33).get(..130).unwrap().to_string();
    let token = ghp("Zq8rT2mLx9Wv");
    let text = format!(
        "[[package]]\nsource = \"git+https://ci:{password}@git.example.org/x.git#abc\"\n\n[[package]]\nsource = \"registry+https://{token}@r.example.org/index\"\nnote = \"{token}\"\n"
    );
    let out = r(&text);
    assert!(
        !out.contains(password.get(..20).unwrap()) && !out.contains(token.get(4..).unwrap()),
        "{out}"
    );
}

/// Issue 9 item 5: file names holding three kinds of token (`verify checksums` output).
#[test]
fn tokens_in_file_names_are_all_masked() {
    let slack = format!("xoxb-{}", "1234567890-abcdefGHIJ");
    let names = [
        format!("{}.tar.gz", ghp("Pl4nt3d")),
        format!("{slack}.zip"),
        format!("release_{}.txt", aws()),
    ];
    let text = names
        .iter()
        .map(|n| format!("MISMATCH {n}: digest differs\n"))
        .collect::<String>();
    let out = r(&text);
    for secret in [ghp("Pl4nt3d"), slack, aws()] {
        assert!(!out.contains(&secret), "{secret} in {out}");
    }
    assert_eq!(out.lines().count(), 3);
}

/// Issue 9 item 5: a policy reason with a PEM block and two tokens, in a JSON report. Every
/// secret is masked and the document is still valid JSON.
#[test]
fn pem_block_and_tokens_in_json_string() {
    let body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7";
    let reason = format!(
        "{} then {} and {}",
        pem(body),
        ghp("first1"),
        ghp("second2")
    );
    let doc =
        serde_json::to_string_pretty(&serde_json::json!({"ignore": {"reason": reason}, "n": 1}))
            .unwrap();
    let out = r(&doc);
    for secret in [body.to_string(), ghp("first1"), ghp("second2")] {
        assert!(!out.contains(&secret), "{secret} in {out}");
    }
    let v: serde_json::Value = serde_json::from_str(&out).expect("still JSON");
    assert_eq!(v["n"], 1);
}

/// Inputs that made the old redactor panic (slicing a stale offset inside a multibyte
/// character or past the end).
#[test]
fn multibyte_text_after_a_shrinking_rule_does_not_panic() {
    let text = format!(
        "{}\nhé ï{}ü https://u:{}@h ✓ {}",
        pem(&"QUJD".repeat(40)),
        ghp("x1"),
        "p".repeat(200),
        aws()
    );
    let out = r(&text);
    assert!(
        !out.contains(&aws()) && !out.contains("pppp") && !out.contains("x1x1"),
        "{out}"
    );
}

/// Issue 9 item 6: a token as a URL's user name; an unencoded `/` in a URL password.
#[test]
fn url_user_tokens_and_slashes_in_passwords() {
    let hex40 = "0123456789abcdef".repeat(3).get(..40).unwrap().to_string();
    let out = r(&format!("git+https://{hex40}@github.com/org/repo?rev=1"));
    assert_eq!(out, "git+https://[REDACTED]@github.com/org/repo?rev=1");
    let out = r(&format!("https://{hex40}:x-oauth-basic@github.com/x"));
    assert!(
        !out.contains(&hex40) && !out.contains("x-oauth-basic"),
        "{out}"
    );
    let out = r("invalid URL `https://ci:pa/ss@w0rd@host.example/index`: bad port");
    assert!(!out.contains("pa/ss") && !out.contains("w0rd"), "{out}");
    // Plain user names and URLs without credentials stay readable.
    for keep in [
        "ssh://git@github.com/org/repo.git",
        "git+https://github.com/evil-org/backdoored@refs/tags/v9.9.9",
        "https://github.com/rust-lang/crates.io-index",
    ] {
        assert_eq!(r(keep), keep);
    }
}

/// Issue 11 item 6: the finding codes and rule ids the scanner produces survive redaction.
#[test]
fn finding_codes_and_rule_ids_survive() {
    for text in [
        "\"code\": \"secrets:github-token\",",
        "{\"ruleId\":\"secrets:aws-access-key-id\",\"id\":\"secrets:secret-assignment\"}",
        "token = [REDACTED:github-token] in preview",
        "secret[private-key] a.pem:1:1",
        "\"code\": \"secrets:dotenv-file\"",
        "at crate::secrets::rules::all (src/token::parse)",
    ] {
        assert_eq!(r(text), text);
    }
    // ...while a real value in the same shape is still masked.
    assert_eq!(
        r("\"secrets\": \"hunter2hunter2\""),
        "\"secrets\": \"[REDACTED]\""
    );
}

#[test]
fn env_secrets_are_masked_in_their_escaped_forms() {
    let secret = "pa\"ss\\wörd<&>";
    let env = [("DEPLOY_TOKEN", secret)];
    let json = serde_json::to_string(&serde_json::json!({ "msg": format!("x{secret}y") })).unwrap();
    let out = redact_with_env(&json, &env);
    assert_eq!(out, r#"{"msg":"x[REDACTED]y"}"#);
    let html = "<p>x pa&quot;ss\\w\u{f6}rd&lt;&amp;&gt; y</p>";
    assert_eq!(redact_with_env(html, &env), "<p>x [REDACTED] y</p>");
}

#[test]
fn masks_never_split_a_json_escape() {
    // The secret ends right before an escaped quote, and one starts right after `\n`.
    let env = [("A_TOKEN", "abcdef\\"), ("B_SECRET", "nabcdef")];
    let doc =
        serde_json::to_string(&serde_json::json!({"a": "abcdef\\\"", "b": "\nabcdefg"})).unwrap();
    let out = redact_with_env(&doc, &env);
    serde_json::from_str::<serde_json::Value>(&out).expect(&out);
    assert!(!out.contains("abcdef"), "{out}");
}

#[test]
fn redaction_is_idempotent_and_leaves_plain_text() {
    let plain = "RUSTSEC-2020-0071 time 0.1.44: Potential segfault";
    assert_eq!(r(plain), plain);
    let once = r("https://u:pw123456@h/ token=abcdef123456");
    assert_eq!(r(&once), once);
}

#[test]
fn only_the_lines_with_secrets_change_in_large_outputs() {
    let mut text = String::new();
    for i in 0..2000 {
        text.push_str(&format!("line {i}: https://example.org/crate/{i}\n"));
    }
    text.push_str("db_password = hunter2hunter2 and api_key: abcdef123456\n");
    text.push_str("tail token=zzzzzzzzzz");
    let out = r(&text);
    assert_eq!(out.lines().count(), text.lines().count());
    assert!(
        !out.contains("hunter2hunter2")
            && !out.contains("abcdef123456")
            && !out.contains("zzzzzzzzzz")
    );
    assert!(out.contains("line 1999: https://example.org/crate/1999\n"));
    assert!(out.ends_with("tail token=[REDACTED]"));
}

#[test]
fn private_key_block_is_masked() {
    assert_eq!(r(&pem("b3BlbnNzaC1rZXktdjEAAAAA")), MASK);
    // Without an end line, the base64 body after the header is masked all the same.
    let header = pem("x").lines().next().unwrap().to_string();
    let out = r(&format!(
        "{header}\nb3BlbnNzaC1rZXkt\nZjEAAAAA\n(end of input)"
    ));
    assert!(!out.contains("b3Bl") && !out.contains("ZjEA") && out.ends_with("(end of input)"));
}

#[test]
fn many_unterminated_key_headers_stay_linear() {
    // Each header once searched the rest of the text for an end line.
    let header = pem("x").lines().next().unwrap().to_string();
    let text = format!("{header}\"").repeat(20_000);
    let out = r(&text);
    assert_eq!(out, format!("{MASK}\"").repeat(20_000));
}

// ---- Property tests -------------------------------------------------------------------------

/// A secret planted in a text: the fragment that holds it, the secret itself, and the
/// environment variable that declares it (for literal secrets).
#[derive(Debug, Clone)]
struct Planted {
    fragment: String,
    secrets: Vec<String>,
    env: Option<(String, String)>,
}

fn token(fragment: String) -> Planted {
    Planted {
        secrets: vec![fragment.clone()],
        fragment,
        env: None,
    }
}

fn within(fragment: String, secret: String) -> Planted {
    Planted {
        fragment,
        secrets: vec![secret],
        env: None,
    }
}

fn planted() -> impl Strategy<Value = Planted> {
    prop_oneof![
        "[A-Za-z0-9]{36,60}".prop_map(|s| token(format!("ghp_{s}"))),
        "[A-Za-z0-9_]{59}".prop_map(|s| token(format!("github_pat_{s}"))),
        "[A-Za-z0-9_-]{20,30}".prop_map(|s| token(format!("glpat-{s}"))),
        "[0-9A-Z]{16}".prop_map(|s| token(format!("AKIA{s}"))),
        "[0-9A-Za-z_-]{35}".prop_map(|s| token(format!("AIza{s}"))),
        "[0-9A-Za-z-]{10,40}".prop_map(|s| token(format!("xoxb-{s}"))),
        "[0-9A-Za-z]{24}".prop_map(|s| token(format!("sk_live_{s}"))),
        "[A-Za-z0-9]{36}".prop_map(|s| token(format!("npm_{s}"))),
        (
            "[A-Za-z0-9_-]{10,40}",
            "[A-Za-z0-9_-]{10,40}",
            "[A-Za-z0-9_-]{0,40}"
        )
            .prop_map(|(a, b, c)| token(format!("eyJ{a}.eyJ{b}.{c}"))),
        prop::collection::vec("[A-Za-z0-9+/]{64}", 1..4).prop_map(|lines| Planted {
            fragment: pem(&lines.join("\n")),
            secrets: lines,
            env: None,
        }),
        "[A-Za-z0-9!$%&*+/=?^_~.:-]{8,130}"
            .prop_map(|pw| within(format!("https://ci:{pw}@host.example/x"), pw)),
        "[0-9a-f]{40}".prop_map(|u| within(format!("git+https://{u}@host.example/x"), u)),
        (
            "[A-Z_]{0,6}(PASSWORD|TOKEN|SECRET|API_KEY|passwd)",
            "[A-Za-z0-9!#$%&*+./=?^_~-]{8,40}"
        )
            .prop_map(|(n, v)| within(format!("{n}={v}"), v)),
        "\\PC{8,30}".prop_map(|v| Planted {
            fragment: v.clone(),
            secrets: vec![v.clone()],
            env: Some(("DEPLOY_TOKEN".to_string(), v)),
        }),
    ]
}

/// Surrounding text: any characters, weighted to the ones that matter (quotes, escapes,
/// separators, multibyte, newlines, fragments of keywords).
fn context() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => "[a-zA-Z0-9 ]{0,12}",
            1 => "\\PC{0,6}",
            1 => prop::sample::select(vec![
                "\n", "\"", "'", "\\", "\\\"", ":", "=", "@", "://", "é", "中", "🦀", "\t",
                "-----", "ghp", "token=", "https://", "eyJ", "[REDACTED]",
            ])
            .prop_map(String::from),
        ],
        0..6,
    )
    .prop_map(|parts| parts.concat())
}

fn env_of(planted: &[Planted]) -> Vec<(&str, &str)> {
    planted
        .iter()
        .filter_map(|p| p.env.as_ref())
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// No planted secret survives, whatever surrounds it; never a panic; idempotent.
    #[test]
    fn planted_secrets_never_survive(
        parts in prop::collection::vec((context(), planted()), 1..5),
        tail in context(),
    ) {
        let planted: Vec<Planted> = parts.iter().map(|(_, p)| p.clone()).collect();
        prop_assume!(planted.iter().flat_map(|p| &p.secrets).all(|s| !MASK.contains(s.as_str())));
        let mut text = String::new();
        for (before, p) in &parts {
            text.push_str(before);
            text.push_str(&p.fragment);
        }
        text.push_str(&tail);
        let env = env_of(&planted);
        let out = redact_with_env(&text, &env);
        for secret in planted.iter().flat_map(|p| &p.secrets) {
            prop_assert!(!out.contains(secret.as_str()), "{secret:?} survives in {out:?}");
        }
        prop_assert_eq!(redact_with_env(&out, &env), out);
    }

    /// The same inside a JSON document: nothing survives, raw or escaped, and the output is
    /// still valid JSON.
    #[test]
    fn json_documents_stay_json(
        parts in prop::collection::vec((context(), planted()), 1..4),
        pretty in any::<bool>(),
    ) {
        let planted: Vec<Planted> = parts.iter().map(|(_, p)| p.clone()).collect();
        prop_assume!(planted.iter().flat_map(|p| &p.secrets).all(|s| !MASK.contains(s.as_str())));
        let fields: serde_json::Map<String, serde_json::Value> = parts
            .iter()
            .enumerate()
            .map(|(i, (before, p))| (format!("f{i}"), format!("{before}{}", p.fragment).into()))
            .collect();
        let value = serde_json::Value::Object(fields);
        let doc = if pretty {
            serde_json::to_string_pretty(&value).unwrap()
        } else {
            serde_json::to_string(&value).unwrap()
        };
        let out = redact_with_env(&doc, &env_of(&planted));
        prop_assert!(serde_json::from_str::<serde_json::Value>(&out).is_ok(), "not JSON: {out}");
        for secret in planted.iter().flat_map(|p| &p.secrets) {
            let escaped = serde_json::to_string(secret).unwrap();
            prop_assert!(!out.contains(secret.as_str()), "{secret:?} survives in {out}");
            prop_assert!(!out.contains(escaped.get(1..escaped.len() - 1).unwrap()), "{escaped} survives in {out}");
        }
    }

    /// Arbitrary text with keyword fragments spliced in: never a panic, idempotent.
    #[test]
    fn arbitrary_text_never_panics(
        parts in prop::collection::vec(prop_oneof![
            "\\PC{0,20}",
            ".{0,8}",
            prop::sample::select(vec![
                "-----BEGIN PRIVATE K", "EY-----", "-----END PRIVATE KEY-----", "ghp_", "AKIA",
                "https://a:", "@", "password=", "\"token\": \"", "\\u00", "\\", "eyJ", "xoxb-",
                "Authorization: ", "bearer ", "secrets:github-token", "\n",
            ]).prop_map(String::from),
        ], 0..30),
        literal in "\\PC{6,12}",
    ) {
        let text = parts.concat();
        let env = [("X_TOKEN", literal.as_str())];
        let out = redact_with_env(&text, &env);
        prop_assert_eq!(redact_with_env(&out, &env), out);
    }
}

/// The packed keyword search resumes one byte after each match: that finds every occurrence
/// only while no keyword is a prefix of another (two keywords could otherwise start at one
/// position and only the first would be seen).
#[test]
fn no_keyword_is_a_prefix_of_another() {
    let mut keywords: Vec<String> = rules::all()
        .iter()
        .flat_map(|r| r.keywords.iter().map(|k| k.to_ascii_lowercase()))
        .collect();
    keywords.sort();
    keywords.dedup();
    for a in &keywords {
        for b in &keywords {
            assert!(
                a == b || !b.starts_with(a.as_str()),
                "{a:?} is a prefix of {b:?}"
            );
        }
    }
}

fn keyword_occurrences(k: &Keywords, text: &str, packed: bool) -> Vec<(Range<usize>, usize)> {
    let mut found: Vec<(Range<usize>, usize)> = if packed {
        k.occurrences(text).collect()
    } else {
        k.fallback()
            .find_overlapping_iter(text)
            .flat_map(|m| {
                k.rules_of[m.pattern().as_usize()]
                    .iter()
                    .map(move |&r| (m.range(), r))
            })
            .collect()
    };
    found.sort_by_key(|(at, r)| (at.start, at.end, *r));
    found
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// The packed search finds exactly what the overlapping automaton finds: every keyword
    /// occurrence, overlapping or adjacent, in any case, among multibyte text.
    #[test]
    fn packed_keyword_search_finds_every_occurrence(
        pieces in prop::collection::vec(
            prop_oneof![
                prop::sample::select(rules::all().iter().flat_map(|r| r.keywords.iter().copied()).collect::<Vec<_>>())
                    .prop_map(str::to_string),
                prop::sample::select(vec!["AWS_SECRET", "Secret", "aws_", "x", "é", "\n", "://", ":/", "KeY", "tok", "PRIVATE", " KEY", "ghp", "_"])
                    .prop_map(str::to_string),
            ],
            0..40,
        ),
    ) {
        let text: String = pieces.concat();
        let k = Keywords::new(rules::all());
        prop_assume!(k.searcher.is_some());
        prop_assert_eq!(keyword_occurrences(&k, &text, true), keyword_occurrences(&k, &text, false));
    }
}

/// A URL without credentials before one with them on the same line: the first `://` must not
/// close the line to the URL rules.
#[test]
fn a_credential_url_after_a_plain_one_on_its_line_is_masked() {
    let password = ["hun", "ter22x"].concat();
    let out = r(&format!(
        "source https://github.com/a/b then https://ci-bot:{password}@example.com/x"
    ));
    assert!(!out.contains(&password), "{out}");
    let token = "ab12".repeat(10);
    let out = r(&format!("a http://x/y, b git+https://{token}@h/x"));
    assert!(!out.contains(&token), "{out}");
}

/// The assignment rule's shortcut passes over prose ("key recovery: ...") but not a secret
/// name assigned right after it, nor one glued to a rejected name.
#[test]
fn assignment_shortcut_keeps_every_assignment() {
    let value = ["Zq8", "vT3mK9pLx2Wr7Yb4"].concat();
    for text in [
        format!("potential key recovery: then API_TOKEN={value}"),
        format!("key\"token={value}"),
        format!("a monkey, then \"client_secret\" : \"{value}\""),
        format!("keykeykey api_key = {value}"),
    ] {
        let out = r(&text);
        assert!(!out.contains(&value), "{text} -> {out}");
    }
    assert_eq!(
        r("Marvin Attack: potential key recovery"),
        "Marvin Attack: potential key recovery"
    );
}
