//! What every room of the dashboard uses: the log, toasts, sending a request, closing a modal,
//! quitting, and whether a key is the one sgkeys is using.

use super::*;
use crate::api::ApiKeyId;

pub(crate) fn log(app: &mut App, level: Level, text: String) {
    let line = LogLine {
        at_ms: app.now_ms,
        level,
        text,
        count: 1,
    };
    push_log(app, line);
}

/// Append a line to the `@` log; the same line said again right away counts up instead.
pub(crate) fn push_log(app: &mut App, line: LogLine) {
    if let Some(last) = app.log.back_mut()
        && last.level == line.level
        && last.text == line.text
    {
        last.count = last.count.saturating_add(line.count);
        last.at_ms = line.at_ms;
        return;
    }
    app.log.push_back(line);
    while app.log.len() > LOG_CAP {
        app.log.pop_front();
    }
}

pub(crate) fn toast(app: &mut App, level: Level, text: impl Into<String>) {
    say(app, level, text.into(), None);
}

/// A toast about something: a later one about the same thing replaces an error about it (a
/// failed copy, then one that worked).
pub(crate) fn toast_about(app: &mut App, level: Level, text: impl Into<String>, about: &str) {
    say(app, level, text.into(), Some(about.to_owned()));
}

/// Forget an error toast about `about` (it no longer holds: the thing worked since).
pub(crate) fn clear_error_about(app: &mut App, about: &str) {
    if app
        .toast
        .as_ref()
        .is_some_and(|t| t.level == Level::Error && t.about.as_deref() == Some(about))
    {
        app.toast = None;
    }
}

fn say(app: &mut App, level: Level, text: String, about: Option<String>) {
    log(app, level, text.clone());
    // An error stays until dismissed: a later info message does not hide it, unless it is
    // about the same thing.
    let same = about.is_some() && app.toast.as_ref().is_some_and(|t| t.about == about);
    if app.toast.as_ref().is_some_and(|t| t.level == Level::Error) && level < Level::Warn && !same {
        return;
    }
    app.toast = Some(Toast {
        level,
        text,
        at_ms: app.now_ms,
        about,
    });
}

/// What became of a copy of an id or a key's JSON: said as it happened, to what.
pub(crate) fn copied(app: &mut App, what: &Clip, r: Result<String, String>) {
    let thing = match what {
        Clip::Secret => "the secret".to_owned(),
        Clip::Id(id) => format!("id {id}"),
        Clip::Json(id) => format!("the JSON of {id}"),
    };
    match r {
        Ok(how) => toast_about(app, Level::Success, format!("{thing} {how}"), "copy"),
        Err(why) => toast_about(app, Level::Error, format!("{thing} {why}"), "copy"),
    }
}

pub(crate) fn request(app: &mut App, pending: Pending, op: ApiOp, out: &mut Vec<Command>) -> ReqId {
    let (ctx, region) = (app.ctx.on_behalf_of.clone(), app.ctx.region);
    request_in(app, ctx, region, pending, op, out)
}

/// [`request`] in another context than the current one (the all-contexts matrix).
pub(crate) fn request_in(
    app: &mut App,
    ctx: Option<crate::api::OnBehalfOf>,
    region: Option<crate::api::Region>,
    pending: Pending,
    op: ApiOp,
    out: &mut Vec<Command>,
) -> ReqId {
    let req = app.next_req;
    app.next_req += 1;
    app.pending.insert(req, pending);
    out.push(Command::Api {
        req,
        ctx,
        region,
        op,
    });
    req
}

pub(crate) fn close_modal(app: &mut App) {
    app.modal = None;
}

/// Whether `id` is the key sgkeys is using (in its own account).
pub(crate) fn is_own(app: &App, id: &ApiKeyId) -> bool {
    app.ctx.on_behalf_of.is_none() && app.ctx.caller_key_id.as_deref() == Some(id.as_str())
}

/// `q` (Ctrl-C: `force`): quit, unless a change is still being sent and this is not forced:
/// then ask first (Stay focused, armed so `q` `y` typed as one gesture quits nothing).
pub(crate) fn quit(app: &mut App, force: bool, out: &mut Vec<Command>) {
    let sending = app.pending_mutations();
    if !force && sending > 0 && !matches!(app.modal, Some(Modal::ConfirmQuit(_))) {
        let mut c = Confirm::new("Quit?", ["Stay", "Quit"], 56)
            .armed_from(app.now_ms, "so q y typed as one gesture quits nothing");
        c.body = quit_body(sending);
        app.modal = Some(Modal::ConfirmQuit(c));
        return;
    }
    app.should_quit = true;
    out.push(Command::CancelReads);
    out.push(Command::Quit);
}

/// The quit question answered: quit (the changes in flight finish on the way out), or stay.
/// What the quit question says while `sending` changes are still being sent.
fn quit_body(sending: usize) -> Vec<(Tone, String)> {
    if sending == 0 {
        return vec![(
            Tone::Base,
            "Every change has been answered and journaled meanwhile (the log shows how each \
             ended): nothing is lost by quitting now."
                .to_owned(),
        )];
    }
    let (what, it) = if sending == 1 {
        ("1 change is".to_owned(), "it")
    } else {
        (format!("{sending} changes are"), "them")
    };
    vec![
        (Tone::Warn, format!("{what} still being sent to SendGrid.")),
        (
            Tone::Base,
            format!(
                "Quit anyway? sgkeys waits for {it} to finish and be journaled before it exits, \
                 but you will not see the outcome here (sgkeys journal shows it)."
            ),
        ),
    ]
}

/// The open quit question follows the changes as they finish (it never says one is still
/// being sent once it has been answered).
pub(crate) fn refresh_quit_question(app: &mut App) {
    let sending = app.pending_mutations();
    if let Some(Modal::ConfirmQuit(c)) = &mut app.modal {
        let body = quit_body(sending);
        if c.body != body {
            c.body = body;
        }
    }
}

pub(crate) fn quit_action(app: &mut App, a: Action, out: &mut Vec<Command>) {
    let now = app.now_ms;
    let Some(Modal::ConfirmQuit(c)) = &mut app.modal else {
        return;
    };
    match c.answer(Layer::ConfirmQuit, a, now) {
        Answer::Yes => quit(app, true, out),
        Answer::No => close_modal(app),
        Answer::Other(_) | Answer::Stay => {}
    }
}
