//! A leaked key revoked with its own credential (`revoke --leaked --self-revoke`) acted in its
//! own account: `J` never files it under the account the dashboard points at (issue 23 item 16).

use super::*;

#[test]
fn a_self_revoke_is_not_filed_under_the_own_account_and_is_not_recreated_here() {
    let mut app = loaded();
    let mut own = jentry(crate::journal::Action::Revoke, &id(9).0, None, "old ci");
    own.scopes_before = Some(vec!["mail.send".into()]);
    let mut itself = jentry(
        crate::journal::Action::Revoke,
        "Leaked0000000000000000",
        None,
        "billing worker",
    );
    itself.scopes_before = Some(vec!["mail.send".into()]);
    itself.self_revoke = Some(true);
    let cmds = update(&mut app, key('J'));
    let req = api_cmds(&cmds)[0].0;
    update(
        &mut app,
        answer(req, ApiResult::Journal(Ok(vec![own, itself.clone()]))),
    );
    let rows = |app: &App| match &app.modal {
        Some(Modal::Journal(v)) => journal::journal_rows(app, v),
        _ => panic!("no journal view"),
    };
    // this endpoint and account: the caller's own revoke only
    assert_eq!(rows(&app), vec![0]);
    update(&mut app, key('a'));
    assert_eq!(rows(&app), vec![1, 0]);
    assert_eq!(
        journal::context_of(&itself),
        "the key's own account (self-revoke) @ http://sim"
    );
    // r on it: said, nothing sent
    update(&mut app, code(KeyCode::Enter));
    assert_eq!(app.layer(), Layer::JournalDetail);
    let cmds = update(&mut app, key('r'));
    assert!(api_cmds(&cmds).is_empty());
    assert!(
        matches!(&app.modal, Some(Modal::Journal(v)) if v.message.as_deref().is_some_and(|m| m.contains("self-revoke"))),
        "{:?}",
        app.modal
    );
}
