//! `v`: the describe view (issue 23's "what a k9s user missed most").

use super::*;
use crate::app::describe::{DescribeView, describe_lines, indent_json};

fn described(app: &App) -> &DescribeView {
    match &app.modal {
        Some(Modal::Describe(v)) => v,
        other => panic!("{other:?}"),
    }
}

fn open_on_test(app: &mut App) -> Vec<Command> {
    update(app, key('G')); // "test": alerts.read + api_keys.create + api_keys.read
    update(app, key('v'))
}

#[test]
fn v_reads_the_key_afresh_and_shows_its_json_scopes_and_history() {
    let mut app = loaded();
    let cmds = open_on_test(&mut app);
    let ops: Vec<ApiOp> = api_cmds(&cmds).into_iter().map(|(_, op)| op).collect();
    assert!(ops.contains(&ApiOp::Describe(id(7))), "{ops:?}");
    assert!(ops.contains(&ApiOp::ReadJournal));
    assert_eq!(app.layer(), Layer::Describe);
    let body = format!(
        r#"{{"api_key_id":"{}","name":"test","scopes":["alerts.read","api_keys.create","api_keys.read"]}}"#,
        id(7)
    );
    let mut history = crate::journal::Entry::new(
        crate::journal::Action::Rename,
        "http://sim",
        None,
        id(7).as_str(),
        "cli",
    );
    history.name_before = Some("tmp".into());
    history.name = Some("test".into());
    history.ok = true;
    for (req, op) in api_cmds(&cmds) {
        let r = match op {
            ApiOp::Describe(_) => ApiResult::Described(Ok((detail(7), body.clone()))),
            ApiOp::ReadJournal => ApiResult::Journal(Ok(vec![history.clone()])),
            _ => continue,
        };
        update(&mut app, answer(req, r));
    }
    let lines: Vec<String> = describe_lines(&app, described(&app))
        .into_iter()
        .map(|l| l.text)
        .collect();
    let page = lines.join("\n");
    assert!(page.contains("Scopes by category"), "{page}");
    assert!(page.contains("API Keys"), "{page}");
    assert!(page.contains("api_keys.create api_keys.read"), "{page}");
    assert!(page.contains("rename"), "{page}");
    assert!(page.contains("'tmp' → 'test'"), "{page}");
    assert!(
        page.contains("JSON as SendGrid answered GET /v3/api_keys/"),
        "{page}"
    );
    assert!(lines.iter().any(|l| l == r#"  "name": "test","#), "{page}");
    // `/` searches and brings the match into view; n goes to the next one
    app.size = (80, 16);
    update(&mut app, key('/'));
    typed(&mut app, "alerts.read");
    let v = described(&app);
    let hit = lines
        .iter()
        .position(|l| l.to_lowercase().contains("alerts.read"))
        .unwrap();
    assert_eq!(v.scroll, hit.min(lines.len().saturating_sub(7)));
    update(&mut app, code(KeyCode::Enter));
    assert_eq!(app.layer(), Layer::Describe);
    // y copies the JSON as answered
    let cmds = update(&mut app, key('y'));
    assert_eq!(
        cmds,
        vec![Command::Copy {
            text: Secret::from_server(body),
            what: Clip::Json(id(7)),
        }]
    );
    update(&mut app, code(KeyCode::Esc));
    assert!(app.modal.is_none());
}

#[test]
fn the_json_is_indented_without_changing_a_value() {
    let raw = r#"{"b":1,"a":["x, y",{"k":"v\"}"}],"e":{},"z":[]}"#;
    let pretty = indent_json(raw);
    assert_eq!(
        pretty,
        "{\n  \"b\": 1,\n  \"a\": [\n    \"x, y\",\n    {\n      \"k\": \"v\\\"}\"\n    }\n  ],\n  \"e\": {},\n  \"z\": []\n}"
    );
    let a: serde_json::Value = serde_json::from_str(raw).unwrap();
    let b: serde_json::Value = serde_json::from_str(&pretty).unwrap();
    assert_eq!(a, b);
    assert_eq!(indent_json("<html>502</html>"), "<html>502</html>");
}
