//! `sgkeys export --format terraform`: the real binary against the simulator (and a hostile
//! stand-in), its output read back by a real HCL parser (`hcl-rs`) and compared with the JSON
//! audit of the same account: every key once, as a resource and an import block, with its name
//! and scopes exactly as SendGrid holds them (hostile names included), subusers through provider
//! aliases, labels valid and unique. Where `terraform` is installed, `terraform fmt -check` and
//! a round trip of every name through Terraform itself; `terraform validate` needs the
//! kenzo0107/sendgrid provider, which cannot be downloaded here (skipped with a message unless
//! `SGKEYS_TF_PLUGIN_DIR` holds it).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use hcl::eval::{Context, Evaluate};
use hcl::{BlockLabel, Body, Expression, TraversalOperator};
use serde_json::Value;

use crate::common::run::{PartlyReadable, Runner, on_path};

/// Key names a server could send: quotes, backslashes, HCL template sequences (already doubled
/// ones too), line breaks, escape sequences, bidi and zero-width characters, a try at closing
/// the string and the block, names with no identifier character, and a duplicate.
const HOSTILE: &[&str] = &[
    "quote \" and \\ backslash",
    "template ${var.secret} and %{ if true }x%{ endif }",
    "already doubled $${x} %%{y} $$ %%",
    "line\nbreak\r\ttab",
    "esc \u{1b}[31mred\u{1b}[0m bell \u{7}",
    "bidi \u{202e}gnp.exe",
    "zero\u{200b}width",
    "\"\n}\nresource \"sendgrid_api_key\" \"pwned\" {\n  name = \"x",
    "# not a comment",
    "¡¿",
    "2017 legacy",
    "dup",
    "dup",
];

/// A parsed export: provider aliases, resources and import blocks.
#[derive(Debug, Default)]
struct Parsed {
    /// alias → subuser
    aliases: BTreeMap<String, String>,
    /// the default (unaliased) provider block is there
    default_provider: bool,
    /// label → (provider alias, name, scopes)
    resources: BTreeMap<String, (Option<String>, String, Vec<String>)>,
    /// id → (provider alias, resource label)
    imports: BTreeMap<String, (Option<String>, String)>,
    required_source: Option<String>,
}

/// A string attribute's value, evaluated as Terraform would (template escapes resolved); an
/// interpolation would fail here (no variable is defined), which is the point.
fn string(e: &Expression) -> String {
    match e.evaluate(&Context::new()) {
        Ok(hcl::Value::String(s)) => s,
        other => panic!("not a plain string: {e:?} → {other:?}"),
    }
}

/// `a.b` as ("a", "b").
fn traversal(e: &Expression) -> (String, String) {
    let Expression::Traversal(t) = e else {
        panic!("not a reference: {e:?}")
    };
    let Expression::Variable(root) = &t.expr else {
        panic!("not a variable: {t:?}")
    };
    let [TraversalOperator::GetAttr(attr)] = t.operators.as_slice() else {
        panic!("not a.b: {t:?}")
    };
    (root.to_string(), attr.to_string())
}

fn label(l: &BlockLabel) -> String {
    match l {
        BlockLabel::String(s) => s.clone(),
        BlockLabel::Identifier(i) => i.to_string(),
    }
}

fn attr<'a>(b: &'a Body, key: &str) -> Option<&'a Expression> {
    b.attributes().find(|a| a.key() == key).map(|a| a.expr())
}

/// The provider alias a `provider = sendgrid.ALIAS` attribute names.
fn provider_of(b: &Body) -> Option<String> {
    attr(b, "provider").map(|e| {
        let (root, alias) = traversal(e);
        assert_eq!(root, "sendgrid");
        alias
    })
}

/// Identifier rules for Terraform names, as sgkeys makes them: a letter, then lowercase
/// letters, digits and `_`.
fn is_label(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn parse(text: &str) -> Parsed {
    let body = hcl::parse(text).unwrap_or_else(|e| panic!("not HCL: {e}\n{text}"));
    let mut p = Parsed::default();
    for b in body.blocks() {
        match b.identifier() {
            "terraform" => {
                let rp = b
                    .body()
                    .blocks()
                    .find(|x| x.identifier() == "required_providers")
                    .expect("required_providers");
                let Some(Expression::Object(o)) = attr(rp.body(), "sendgrid") else {
                    panic!("required_providers.sendgrid is an object")
                };
                let source = o
                    .iter()
                    .find(|(k, _)| k.to_string() == "source")
                    .map(|(_, v)| string(v));
                p.required_source = source;
            }
            "provider" => {
                assert_eq!(label(&b.labels()[0]), "sendgrid");
                match attr(b.body(), "alias") {
                    Some(a) => {
                        let alias = string(a);
                        let sub = string(attr(b.body(), "subuser").expect("subuser"));
                        assert!(is_label(&alias), "alias {alias:?}");
                        assert!(p.aliases.insert(alias, sub).is_none(), "alias twice");
                    }
                    None => {
                        assert!(!p.default_provider, "two default providers");
                        p.default_provider = true;
                    }
                }
            }
            "resource" => {
                assert_eq!(label(&b.labels()[0]), "sendgrid_api_key");
                let name = label(&b.labels()[1]);
                assert!(is_label(&name), "resource label {name:?}");
                let n = string(attr(b.body(), "name").expect("name"));
                let Some(Expression::Array(scopes)) = attr(b.body(), "scopes") else {
                    panic!("scopes is a list")
                };
                let scopes = scopes.iter().map(string).collect();
                let prev = p
                    .resources
                    .insert(name.clone(), (provider_of(b.body()), n, scopes));
                assert!(prev.is_none(), "resource label {name} twice");
            }
            "import" => {
                let (ty, to) = traversal(attr(b.body(), "to").expect("to"));
                assert_eq!(ty, "sendgrid_api_key");
                let id = string(attr(b.body(), "id").expect("id"));
                let prev = p.imports.insert(id.clone(), (provider_of(b.body()), to));
                assert!(prev.is_none(), "key {id} imported twice");
            }
            other => panic!("unexpected block {other}"),
        }
    }
    p
}

/// Checks an export against the JSON audit's keys (those with known scopes), exactly.
fn check_against(p: &Parsed, keys: &[&Value]) {
    assert_eq!(p.required_source.as_deref(), Some("kenzo0107/sendgrid"));
    assert_eq!(p.resources.len(), keys.len());
    assert_eq!(p.imports.len(), keys.len());
    let auto: BTreeSet<&str> = sgkeys::scopes::auto_assigned().iter().copied().collect();
    for k in keys {
        let id = k["api_key_id"].as_str().unwrap();
        let (import_provider, label) = p
            .imports
            .get(id)
            .unwrap_or_else(|| panic!("no import block for {id}"));
        let (provider, name, scopes) = &p.resources[label];
        assert_eq!(
            import_provider, provider,
            "{id}: import and resource providers"
        );
        // exactly the server's name: no character replaced, dropped or added
        assert_eq!(name, k["name"].as_str().unwrap(), "{id}: name");
        let want: Vec<String> = serde_json::from_value(k["scopes"].clone()).unwrap();
        assert_eq!(scopes, &want, "{id}: scopes");
        assert!(scopes.iter().all(|s| !auto.contains(s.as_str())));
        match k["context"].as_str() {
            None => {
                assert_eq!(
                    provider, &None,
                    "{id}: the account's key uses the default provider"
                );
                assert!(p.default_provider);
            }
            Some(ctx) => {
                let alias = provider.as_ref().expect("a subuser's key names its alias");
                assert_eq!(p.aliases[alias], ctx, "{id}: alias {alias} is its subuser");
            }
        }
    }
}

fn known(audit: &Value) -> Vec<&Value> {
    audit["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["scopes_known"] == true)
        .collect()
}

/// The export without its first lines (they name the time it was written).
fn body_of(text: &str) -> &str {
    &text[text.find("\nterraform {").expect("a terraform block")..]
}

#[tokio::test(flavor = "multi_thread")]
async fn the_export_parses_and_round_trips_every_name_and_scope() {
    let sim = crate::common::simulator::fast().await;
    for name in HOSTILE {
        sim.add_key(None, name, &["mail.send", "stats.read"]);
    }
    sim.add_key(Some("acme-transactional"), "ci ${x}", &["mail.send"]);
    let r = Runner::sim(&sim);
    let out = r.path("keys.tf");
    let ran = r.run(&[
        "export",
        "--format",
        "terraform",
        "--all-subusers",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(ran.stderr.contains("Wrote "), "{}", ran.stderr);
    let text = std::fs::read_to_string(&out).unwrap();
    // nothing unsafe reaches the file raw: every such character is a \u escape
    assert!(
        !text
            .chars()
            .any(|c| c != '\n' && sgkeys::text::is_unsafe(c)),
        "a raw control, bidi or zero-width character"
    );
    assert!(text.contains("# Secrets cannot be imported"));
    // the key the export was made with is named: destroying it would lock sgkeys out
    let admin = r.api_key.get(3..25).unwrap();
    let warning = text.find("# The key this file was exported with").unwrap();
    let admin_import = text.find(&format!("id = \"{admin}\"")).unwrap();
    assert!(warning < admin_import);
    assert!(!text.contains("resource \"sendgrid_api_key\" \"pwned\""));
    let parsed = parse(&text);
    let audit: Value =
        serde_json::from_str(&r.ok(&["audit", "--all-subusers", "--format", "json"])).unwrap();
    let keys = known(&audit);
    assert!(keys.len() > HOSTILE.len() + 40, "{}", keys.len());
    check_against(&parsed, &keys);
    assert!(parsed.aliases.len() >= 2, "{:?}", parsed.aliases);
    // the EU subuser's provider says where SendGrid serves it; the others do not
    let eu_note = "# SendGrid serves this context on api.eu.sendgrid.com only.";
    let block = "provider \"sendgrid\" {\n  alias   = \"acme_eu_marketing\"";
    let at = text.find(block).unwrap();
    let note = text[..at].rfind(eu_note).unwrap();
    assert!(
        !text[note..at].contains('}'),
        "the note is right above the EU provider"
    );
    assert_eq!(text.matches(eu_note).count(), 1, "only the EU subuser");

    // stdout is the same file, and a second export the same text (labels are deterministic)
    let again = r.ok(&["export", "--format", "terraform", "--all-subusers"]);
    assert_eq!(body_of(&again), body_of(&text));

    // --filter: only the Full Access keys
    let full = r.ok(&[
        "export",
        "--format",
        "terraform",
        "--all-subusers",
        "--filter",
        "type:full",
    ]);
    let full_keys: Vec<&Value> = keys
        .iter()
        .copied()
        .filter(|k| k["type"] == "full")
        .collect();
    assert!(!full_keys.is_empty());
    check_against(&parse(&full), &full_keys);

    // usage errors, before any request
    let bad = r.run(&["export", "--format", "terraform", "--filter", "type:nope"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    let json = r.run(&["--json", "export", "--format", "terraform"]);
    assert_eq!(json.code, 2, "{}", json.stderr);

    // the README's excerpt is real output: each of its blocks is in the export as it is
    // (key ids aside: they differ from one simulator start to the next)
    let mask = |t: &str| {
        t.lines()
            .map(|l| match l.split_once("id       = ") {
                Some((head, _)) => format!("{head}id       = \"…\""),
                None => l.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let masked = mask(&text);
    for chunk in crate::common::readme::block("terraform-example").split("\n\n") {
        assert!(
            masked.contains(&mask(chunk.trim_end())),
            "README excerpt not in the export:\n{chunk}"
        );
    }

    terraform_checks(&text, &keys, r.dir.path());
}

/// With `terraform` installed: `fmt -check`, and every name literal of the export read back by
/// Terraform itself (outputs in a configuration that needs no provider, so no download).
fn terraform_checks(text: &str, keys: &[&Value], dir: &Path) {
    let Some(tf) = on_path("terraform") else {
        eprintln!(
            "skipped: `terraform` is not installed (HashiCorp ships it outside Debian and \
             crates.io); the export was checked with hcl-rs only"
        );
        return;
    };
    let run = |cwd: &Path, args: &[&str]| {
        let rc = dir.join("terraformrc");
        std::fs::write(&rc, "").unwrap();
        let out = Command::new(&tf)
            .args(args)
            .current_dir(cwd)
            .env("TF_CLI_CONFIG_FILE", &rc)
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_INPUT", "0")
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), all)
    };
    let export_dir = dir.join("tf-export");
    std::fs::create_dir_all(&export_dir).unwrap();
    std::fs::write(export_dir.join("keys.tf"), text).unwrap();
    let (ok, said) = run(&export_dir, &["fmt", "-check", "-diff", "keys.tf"]);
    assert!(
        ok,
        "terraform fmt -check: the export is not in canonical form:\n{said}"
    );

    // every `name = "…"` literal exactly as written in the export, as an output
    let literals: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("name"))
        .filter_map(|l| l.trim_start().strip_prefix('='))
        .map(str::trim)
        .collect();
    assert_eq!(literals.len(), keys.len());
    let outputs_dir = dir.join("tf-names");
    std::fs::create_dir_all(&outputs_dir).unwrap();
    let mut cfg = String::new();
    for (i, l) in literals.iter().enumerate() {
        cfg.push_str(&format!("output \"n{i}\" {{\n  value = {l}\n}}\n"));
    }
    std::fs::write(outputs_dir.join("main.tf"), cfg).unwrap();
    let (ok, said) = run(&outputs_dir, &["init", "-input=false", "-no-color"]);
    assert!(ok, "terraform init (no provider needed): {said}");
    let (ok, said) = run(
        &outputs_dir,
        &["apply", "-auto-approve", "-input=false", "-no-color"],
    );
    assert!(ok, "terraform apply of the name outputs: {said}");
    let (ok, said) = run(&outputs_dir, &["output", "-json"]);
    assert!(ok, "terraform output: {said}");
    let values: BTreeMap<String, Value> = serde_json::from_str(&said).unwrap();
    let read: BTreeSet<String> = values
        .values()
        .map(|v| v["value"].as_str().unwrap().to_owned())
        .collect();
    let want: BTreeSet<String> = keys
        .iter()
        .map(|k| k["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(read, want, "Terraform reads the names back exactly");

    match std::env::var_os("SGKEYS_TF_PLUGIN_DIR") {
        Some(plugins) => {
            let plugins = plugins.to_string_lossy().into_owned();
            let (ok, said) = run(
                &export_dir,
                &[
                    "init",
                    "-backend=false",
                    "-input=false",
                    "-no-color",
                    &format!("-plugin-dir={plugins}"),
                ],
            );
            assert!(ok, "terraform init with {plugins}: {said}");
            let (ok, said) = run(&export_dir, &["validate", "-no-color"]);
            assert!(ok, "terraform validate: {said}");
        }
        None => eprintln!(
            "skipped: `terraform validate` needs the kenzo0107/sendgrid provider, which this \
             machine cannot download (no access to registry.terraform.io); set \
             SGKEYS_TF_PLUGIN_DIR to a plugin directory holding it to run it"
        ),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_that_cannot_be_read_are_named_and_the_export_fails() {
    let account = PartlyReadable::start(
        "good",
        &["mail.send", "2fa_required", "odd\"${scope}"],
        "vague \u{202e}name",
    )
    .await;
    let (good, vague, broken) = (&account.good, &account.vague, &account.broken);
    let r = account.runner();
    let out = r.path("keys.tf");
    let ran = r.run(&[
        "--timeout",
        "3",
        "export",
        "--format",
        "terraform",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    assert!(
        ran.stderr.contains(&format!("key {vague}")),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains("export incomplete"), "{}", ran.stderr);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("# INCOMPLETE"), "{text}");
    assert!(
        text.contains(&format!("# - key {vague} (\"vague \\u202Ename\"")),
        "{text}"
    );
    assert!(
        text.contains(broken.as_str()),
        "the unreadable key is named: {text}"
    );
    let parsed = parse(&text);
    let (_, label) = &parsed.imports[good];
    let (_, name, scopes) = &parsed.resources[label];
    assert_eq!(name, "good");
    assert_eq!(scopes, &["mail.send", "odd\"${scope}"]);
    assert_eq!(
        parsed.resources.len(),
        1,
        "only the key that was read in full"
    );
}
