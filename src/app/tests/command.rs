//! `:`: the command line.

use super::*;

#[test]
fn the_command_line_switches_context_and_refreshes() {
    let mut app = loaded();
    // `:` reads the subusers once, for completion
    let cmds = update(&mut app, key(':'));
    assert!(
        api_cmds(&cmds)
            .iter()
            .any(|(_, op)| *op == ApiOp::ListSubusers)
    );
    settle(&mut app, cmds);
    typed(&mut app, "ctx a");
    update(&mut app, code(KeyCode::Tab));
    assert!(matches!(&app.modal, Some(Modal::Command(c)) if c.input.value() == "ctx acme-eu"));
    let cmds = update(&mut app, code(KeyCode::Enter));
    assert!(app.modal.is_none());
    assert_eq!(
        app.ctx.on_behalf_of,
        Some(crate::api::OnBehalfOf::Subuser("acme-eu".into()))
    );
    assert_eq!(app.ctx.region, Some(crate::api::Region::Eu));
    assert!(cmds.contains(&Command::CancelReads));
    settle(&mut app, cmds);
    // back to the own account
    let cmds = command(&mut app, "ctx -");
    assert_eq!(app.ctx.on_behalf_of, None);
    settle(&mut app, cmds);
    // :refresh is Ctrl-r
    let cmds = command(&mut app, "refresh");
    assert!(list_reqs(&cmds).len() == 1);
    settle(&mut app, cmds);
    // :keys back to the list
    update(&mut app, code(KeyCode::Tab));
    assert_eq!(app.focus, Pane::Detail);
    command(&mut app, "keys");
    assert_eq!(app.focus, Pane::List);
}

#[test]
fn ctx_waits_for_the_subusers_and_refuses_unknown_names() {
    let mut app = loaded();
    // typed before the subusers are known: switches once they are
    let mut cmds = update(&mut app, key(':'));
    cmds.extend(typed(&mut app, "ctx acme-eu"));
    cmds.extend(update(&mut app, code(KeyCode::Enter)));
    assert_eq!(app.ctx.on_behalf_of, None);
    assert_eq!(app.want_ctx.as_deref(), Some("acme-eu"));
    settle(&mut app, cmds);
    assert_eq!(
        app.ctx.on_behalf_of,
        Some(crate::api::OnBehalfOf::Subuser("acme-eu".into()))
    );
    // an unknown subuser: said, no switch
    command(&mut app, "ctx nobody");
    assert!(
        app.toast
            .as_ref()
            .is_some_and(|t| t.text.contains("no subuser 'nobody'"))
    );
    assert_eq!(
        app.ctx.on_behalf_of,
        Some(crate::api::OnBehalfOf::Subuser("acme-eu".into()))
    );
}

#[test]
fn unknown_commands_and_unbound_keys_say_so() {
    let mut app = loaded();
    command(&mut app, "pods");
    assert!(
        app.toast
            .as_ref()
            .is_some_and(|t| t.text.starts_with("unknown command ':pods'")),
        "{:?}",
        app.toast
    );
    update(&mut app, key('x'));
    assert_eq!(
        app.toast.as_ref().map(|t| t.text.as_str()),
        Some("no action for x — ? for help")
    );
    // not logged: a stray key is no event
    assert!(!app.log.iter().any(|l| l.text.contains("no action")));
    // :q quits
    let cmds = command(&mut app, "q");
    assert!(cmds.contains(&Command::Quit));
}
