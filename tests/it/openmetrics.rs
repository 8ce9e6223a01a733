//! `sgkeys audit --format openmetrics`: the README's cron line run against the simulator, the
//! file it writes read by real exposition-format parsers (`openmetrics-parser`: its OpenMetrics
//! parser, and its Prometheus text parser, which is the format node_exporter's textfile
//! collector reads), every figure compared with the JSON audit of the same account; an
//! incomplete audit (a hostile stand-in) that claims nothing it cannot back; and the README's
//! alert rules parsed as PromQL (`promql-parser`) naming only metrics the file has, then, where
//! `promtool` is installed, `promtool test rules` on "a new Full Access key appeared".

use std::collections::{BTreeMap, BTreeSet};

use openmetrics_parser::{MetricNumber, OpenMetricsValue, PrometheusValue};
use promql_parser::parser::{self, Expr};
use serde_json::Value;

use crate::common::readme;
use crate::common::run::{PartlyReadable, Runner, on_path};

/// (family, labels) → value.
type Figures = BTreeMap<(String, BTreeMap<String, String>), f64>;

/// Every sample of an exposition, gauges only, by family and label set.
fn figures<T: Clone, V: openmetrics_parser::RenderableMetricValue + Clone>(
    exp: &openmetrics_parser::MetricsExposition<T, V>,
    gauge: impl Fn(&V) -> Option<&MetricNumber>,
) -> Figures {
    let mut out = Figures::new();
    for (name, family) in &exp.families {
        for s in family.iter_samples() {
            let labels = s
                .get_labelset()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let v = gauge(&s.value).unwrap_or_else(|| panic!("{name} is not a gauge"));
            assert!(
                out.insert((name.clone(), labels), v.as_f64()).is_none(),
                "{name}: a label set twice"
            );
        }
    }
    out
}

/// The file read by the OpenMetrics parser.
fn openmetrics(text: &str) -> Figures {
    let exp = openmetrics_parser::openmetrics::parse_openmetrics(text)
        .unwrap_or_else(|e| panic!("not OpenMetrics: {e:?}\n{text}"));
    figures(&exp, |v| match v {
        OpenMetricsValue::Gauge(n) => Some(n),
        _ => None,
    })
}

/// The file read by the Prometheus text-format parser (node_exporter's textfile collector's).
fn prometheus(text: &str) -> Figures {
    let exp = openmetrics_parser::prometheus::parse_prometheus(text)
        .unwrap_or_else(|e| panic!("not Prometheus text: {e:?}\n{text}"));
    figures(&exp, |v| match v {
        PrometheusValue::Gauge(n) => Some(n),
        _ => None,
    })
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// What the file must say, computed from the JSON audit (`timestamp` aside).
fn expected(audit: &Value) -> Figures {
    let mut f = Figures::new();
    let keys = audit["keys"].as_array().unwrap();
    for c in audit["contexts"].as_array().unwrap() {
        let ctx = c["context"].as_str().unwrap_or("");
        let l = labels(&[("context", ctx)]);
        let mut put = |name: &str, l: BTreeMap<String, String>, v: f64| {
            f.insert((name.to_owned(), l), v);
        };
        let complete = c.get("error").is_none();
        put(
            "sgkeys_audit_complete",
            l.clone(),
            f64::from(u8::from(complete)),
        );
        put(
            "sgkeys_audit_keys_read",
            l.clone(),
            c["keys"].as_f64().unwrap(),
        );
        if let Some(listed) = c["listed"].as_f64() {
            put("sgkeys_audit_keys_listed", l.clone(), listed);
            put("sgkeys_key_limit", l.clone(), 100.0);
            put("sgkeys_key_headroom", l.clone(), (100.0 - listed).max(0.0));
        }
        let mine: Vec<&Value> = keys
            .iter()
            .filter(|k| k["context"].as_str().unwrap_or("") == ctx)
            .collect();
        let type_of = |k: &Value| {
            if k["scopes_known"] == true {
                k["type"].as_str().unwrap().to_owned()
            } else {
                "unknown".to_owned()
            }
        };
        for k in mine.iter().filter(|k| type_of(k) == "full") {
            let name = sgkeys::text::clean(k["name"].as_str().unwrap()).into_owned();
            put(
                "sgkeys_full_access_key",
                labels(&[
                    ("context", ctx),
                    ("api_key_id", k["api_key_id"].as_str().unwrap()),
                    ("name", &name),
                ]),
                1.0,
            );
        }
        if !complete {
            continue;
        }
        for t in ["full", "custom", "billing", "unknown"] {
            let n = mine.iter().filter(|k| type_of(k) == t).count();
            put(
                "sgkeys_keys",
                labels(&[("context", ctx), ("type", t)]),
                n as f64,
            );
        }
        let full = mine.iter().filter(|k| type_of(k) == "full").count();
        put("sgkeys_full_access_keys", l.clone(), full as f64);
        let mut findings: BTreeMap<(String, String), f64> = BTreeMap::new();
        let all = mine
            .iter()
            .flat_map(|k| k["findings"].as_array().unwrap())
            .chain(c["findings"].as_array().into_iter().flatten());
        for x in all {
            let key = (
                x["severity"].as_str().unwrap().to_owned(),
                x["code"].as_str().unwrap().to_owned(),
            );
            *findings.entry(key).or_default() += 1.0;
        }
        for ((sev, code), n) in findings {
            put(
                "sgkeys_findings",
                labels(&[("context", ctx), ("severity", &sev), ("code", &code)]),
                n,
            );
        }
    }
    f
}

fn now_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// The README's cron line with its key file and output path replaced.
fn cron_line(key_file: &str, out: &str) -> String {
    let block = readme::block("cron-example");
    let line = block.lines().find(|l| !l.trim().is_empty()).unwrap();
    // five schedule fields, then the command
    let command = line.splitn(6, ' ').nth(5).unwrap();
    assert!(command.starts_with("sgkeys "), "{command}");
    let replaced = command
        .replace("/etc/sgkeys/api-key", key_file)
        .replace("/var/lib/prometheus/node-exporter/sgkeys.prom", out);
    assert_ne!(
        replaced, command,
        "the README's paths are the ones this test replaces"
    );
    replaced
}

#[tokio::test(flavor = "multi_thread")]
async fn the_readme_cron_line_writes_what_both_parsers_read_with_the_json_audits_figures() {
    let sim = crate::common::simulator::fast().await;
    let full: Vec<&str> = sgkeys::scopes::full_access_scopes().into_iter().collect();
    // a hostile name on a Full Access key (of the EU subuser: not in the README's excerpt): it
    // becomes a label value
    sim.add_key(
        Some("acme-eu-marketing"),
        "quote \" back \\ nl \n bidi \u{202e} esc \u{1b}[2J",
        &full,
    );
    let r = Runner::sim(&sim);
    let key_file = r.path("api-key");
    std::fs::write(&key_file, format!("{}\n", r.api_key)).unwrap();
    let out = r.path("sgkeys.prom");
    let ran = r.shell(&cron_line(
        key_file.to_str().unwrap(),
        out.to_str().unwrap(),
    ));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.ends_with("# EOF\n"));
    assert!(
        !text
            .chars()
            .any(|c| c != '\n' && sgkeys::text::is_unsafe(c)),
        "a raw control, bidi or zero-width character"
    );
    let mut om = openmetrics(&text);
    let prom = prometheus(&text);
    assert_eq!(om, prom, "the two parsers read the same figures");
    let ts = om
        .remove(&("sgkeys_audit_timestamp_seconds".to_owned(), BTreeMap::new()))
        .expect("the audit's time");
    assert!((now_secs() - ts).abs() < 600.0, "audit time {ts}");

    let audit: Value =
        serde_json::from_str(&r.ok(&["audit", "--all-subusers", "--format", "json"])).unwrap();
    let want = expected(&audit);
    assert_eq!(om, want, "the figures equal the JSON audit's");
    assert!(
        om.keys().any(|(n, l)| n == "sgkeys_full_access_key"
            && l["name"] == "quote \" back \\ nl \u{fffd} bidi \u{fffd} esc \u{fffd}[2J"),
        "the hostile name, cleaned and read back"
    );
    // every family the writer knows has HELP and TYPE lines, and the README's excerpt is real
    for (name, help) in sgkeys::audit::openmetrics::FAMILIES {
        assert!(text.contains(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n")));
    }
    for line in readme::block("metrics-example").lines() {
        assert!(
            text.contains(&format!("{line}\n")),
            "README line not in the output: {line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_incomplete_audit_emits_no_count_it_cannot_back() {
    let full: Vec<&str> = sgkeys::scopes::full_access_scopes().into_iter().collect();
    let account = PartlyReadable::start("root \"admin\"", &full, "vague").await;
    let root = &account.good;
    let r = account.runner();
    let out = r.path("sgkeys.prom");
    let ran = r.run(&[
        "--timeout",
        "3",
        "audit",
        "--format",
        "openmetrics",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    let text = std::fs::read_to_string(&out).unwrap();
    let f = openmetrics(&text);
    assert_eq!(f, prometheus(&text));
    let acct = labels(&[("context", "")]);
    let get = |n: &str, l: &BTreeMap<String, String>| f.get(&(n.to_owned(), l.clone())).copied();
    assert_eq!(get("sgkeys_audit_complete", &acct), Some(0.0));
    assert_eq!(get("sgkeys_audit_keys_listed", &acct), Some(3.0));
    assert_eq!(get("sgkeys_audit_keys_read", &acct), Some(2.0));
    assert_eq!(get("sgkeys_key_headroom", &acct), Some(97.0));
    assert_eq!(
        get(
            "sgkeys_full_access_key",
            &labels(&[
                ("context", ""),
                ("api_key_id", root),
                ("name", "root \"admin\"")
            ])
        ),
        Some(1.0),
        "{text}"
    );
    for absent in ["sgkeys_keys", "sgkeys_full_access_keys", "sgkeys_findings"] {
        assert!(
            !f.keys().any(|(n, _)| n == absent),
            "{absent} from an incomplete audit:\n{text}"
        );
    }
}

/// Every metric name an expression selects.
fn metric_names(e: &Expr, out: &mut BTreeSet<String>) {
    match e {
        Expr::VectorSelector(v) => out.extend(v.name.clone()),
        Expr::MatrixSelector(m) => out.extend(m.vs.name.clone()),
        Expr::Aggregate(a) => {
            metric_names(&a.expr, out);
            if let Some(p) = &a.param {
                metric_names(p, out);
            }
        }
        Expr::Unary(u) => metric_names(&u.expr, out),
        Expr::Binary(b) => {
            metric_names(&b.lhs, out);
            metric_names(&b.rhs, out);
        }
        Expr::Paren(p) => metric_names(&p.expr, out),
        Expr::Subquery(s) => metric_names(&s.expr, out),
        Expr::Call(c) => c.args.args.iter().for_each(|a| metric_names(a, out)),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

/// The `expr:` of each rule in the README's rule file, by alert name.
fn rule_exprs(rules: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut alert = None;
    let mut lines = rules.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        if let Some(name) = t.strip_prefix("- alert:") {
            alert = Some(name.trim().to_owned());
        } else if let Some(e) = t.strip_prefix("expr:") {
            let indent = line.len() - t.len();
            let mut expr = e.trim().to_owned();
            if expr == "|" {
                expr.clear();
                while let Some(next) = lines.peek() {
                    if next.len() - next.trim_start().len() <= indent {
                        break;
                    }
                    expr.push_str(next.trim());
                    expr.push(' ');
                    lines.next();
                }
            }
            out.insert(alert.clone().expect("an alert before its expr"), expr);
        }
    }
    out
}

#[test]
fn the_readme_alert_rules_are_promql_on_these_metrics_and_a_new_full_access_key_fires() {
    let rules = readme::block("alert-rule");
    let exprs = rule_exprs(&rules);
    assert_eq!(exprs.len(), 3, "{exprs:?}");
    let known: BTreeSet<&str> = sgkeys::audit::openmetrics::FAMILIES
        .iter()
        .map(|(n, _)| *n)
        .collect();
    for (alert, e) in &exprs {
        let parsed = parser::parse(e).unwrap_or_else(|err| panic!("{alert}: not PromQL: {err}"));
        let mut names = BTreeSet::new();
        metric_names(&parsed, &mut names);
        assert!(!names.is_empty(), "{alert} selects no metric");
        for n in &names {
            assert!(
                known.contains(n.as_str()),
                "{alert}: no metric {n} in the file"
            );
        }
    }
    // (present now unless present the day before) and (that day had a complete audit)
    let new_key = parser::parse(&exprs["SendGridNewFullAccessKey"]).unwrap();
    let Expr::Binary(top) = &new_key else {
        panic!("{new_key:?}")
    };
    assert!(matches!(&*top.lhs, Expr::Binary(_)) && matches!(&*top.rhs, Expr::Binary(_)));

    let Some(promtool) = on_path("promtool") else {
        eprintln!(
            "skipped: `promtool` is not installed (Debian's `prometheus` package has it); the \
             rules were checked with promql-parser only"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.yml"), &rules).unwrap();
    // one minute per sample over three hours: the account and subuser "acme" audited
    // completely all along, "late" never completely; key OLD there from the start, NEW, SUB
    // and LATE from the 61st minute
    let test = r#"rule_files:
  - rules.yml
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'sgkeys_audit_complete'
        values: '1x180'
      - series: 'sgkeys_audit_complete{context="acme"}'
        values: '1x180'
      - series: 'sgkeys_audit_complete{context="late"}'
        values: '0x180'
      - series: 'sgkeys_full_access_key{api_key_id="OLD",name="old"}'
        values: '1x180'
      - series: 'sgkeys_full_access_key{api_key_id="NEW",name="new"}'
        values: '_x60 1x120'
      - series: 'sgkeys_full_access_key{context="acme",api_key_id="SUB",name="sub key"}'
        values: '_x60 1x120'
      - series: 'sgkeys_full_access_key{context="late",api_key_id="LATE",name="late key"}'
        values: '_x60 1x120'
    alert_rule_test:
      - eval_time: 5m
        alertname: SendGridNewFullAccessKey
        exp_alerts: []
      - eval_time: 55m
        alertname: SendGridNewFullAccessKey
        exp_alerts: []
      - eval_time: 65m
        alertname: SendGridNewFullAccessKey
        exp_alerts:
          - exp_labels:
              severity: page
              api_key_id: NEW
              name: new
            exp_annotations:
              summary: 'New Full Access SendGrid key NEW (new) in the account'
          - exp_labels:
              severity: page
              context: acme
              api_key_id: SUB
              name: sub key
            exp_annotations:
              summary: 'New Full Access SendGrid key SUB (sub key) in acme'
      - eval_time: 100m
        alertname: SendGridNewFullAccessKey
        exp_alerts: []
"#;
    std::fs::write(dir.path().join("test.yml"), test).unwrap();
    let out = std::process::Command::new(promtool)
        .args(["test", "rules", "test.yml"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool test rules:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
