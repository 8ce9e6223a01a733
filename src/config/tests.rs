//! Config files, profiles, overrides and the key command, resolved.

use super::key_command::{run_key_command_within, seconds};
use super::*;

const KEY: &str = "SG.qfTQ6KG0QBiwWdJ0-pCLCA.abcdefghijklmnopqrstuvwxyz0123456789-_ABCDE";

#[test]
fn key_settings_carry_their_lines() {
    let f = file(
        "default_profile = 'a'\n[profiles.a]\nregion = 'eu'\n\n[keys]\nrevoke = \"x\"\n# a comment\ndown = [\"n\", \"Down\"]\n\n[keys.log]\nfilter = 'f'\n",
    );
    let s = f.key_settings().unwrap();
    let find = |sec: &str, a: &str| {
        s.iter()
            .find(|k| k.section == sec && k.action == a)
            .unwrap()
    };
    assert_eq!(find("", "revoke").keys, ["x"]);
    assert_eq!(find("", "revoke").line, Some(6));
    assert_eq!(find("", "down").keys, ["n", "Down"]);
    assert_eq!(find("", "down").line, Some(8));
    assert_eq!(find("log", "filter").line, Some(11));
    let e = file("[keys]\nrevoke = 3\n").key_settings().unwrap_err();
    assert!(e.starts_with("line 2 (revoke)"), "{e}");
}

fn file(text: &str) -> ConfigFile {
    ConfigFile::parse(text, Path::new("c.toml")).unwrap()
}

#[test]
fn no_config_uses_sendgrid_api_key() {
    let s = resolve_with(&Overrides::default(), &ConfigFile::default(), None, |_| {
        None
    })
    .unwrap();
    assert_eq!(s.base_url, "https://api.sendgrid.com");
    assert_eq!(s.key_source, KeySource::Env("SENDGRID_API_KEY".into()));
    assert!(matches!(s.api_key_with(|_| None), Err(ConfigError::NoKey)));
    let k = s
        .api_key_with(|k| (k == "SENDGRID_API_KEY").then(|| format!("{KEY}\n")))
        .unwrap();
    assert_eq!(k.key_id(), Some("qfTQ6KG0QBiwWdJ0-pCLCA"));
    let bad = s
        .api_key_with(|_| Some("SG.nope".into()))
        .unwrap_err()
        .to_string();
    assert!(
        bad.contains("69 characters") && !bad.contains("nope"),
        "{bad}"
    );
}

#[test]
fn the_dashboard_refresh_comes_from_the_flag_the_profile_or_60s() {
    let f = file(
        r#"
            [profiles.slow]
            refresh_secs = 300
            "#,
    );
    let s = resolve_with(&Overrides::default(), &f, None, |_| None).unwrap();
    assert_eq!(s.refresh_secs, 60);
    let ov = Overrides {
        profile: Some("slow".into()),
        ..Default::default()
    };
    assert_eq!(
        resolve_with(&ov, &f, None, |_| None).unwrap().refresh_secs,
        300
    );
    let ov = Overrides {
        profile: Some("slow".into()),
        refresh: Some(0),
        ..Default::default()
    };
    assert_eq!(
        resolve_with(&ov, &f, None, |_| None).unwrap().refresh_secs,
        0
    );
}

#[test]
fn the_theme_comes_from_no_color_the_flag_the_env_the_profile_or_auto() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    let none = env(&[]);
    assert_eq!(
        theme_choice(false, None, none, None).unwrap(),
        ThemeChoice::Auto
    );
    assert_eq!(
        theme_choice(false, None, env(&[]), Some("Light")).unwrap(),
        ThemeChoice::Light
    );
    let light_env = env(&[("SGKEYS_THEME", "light")]);
    assert_eq!(
        theme_choice(false, None, light_env, Some("dark")).unwrap(),
        ThemeChoice::Light,
        "env beats the profile"
    );
    assert_eq!(
        theme_choice(false, Some(ThemeChoice::Dark), light_env, Some("mono")).unwrap(),
        ThemeChoice::Dark,
        "the flag beats env and profile"
    );
    // an empty variable is unset
    let empty = env(&[("SGKEYS_THEME", ""), ("NO_COLOR", "")]);
    assert_eq!(
        theme_choice(false, None, empty, Some("light")).unwrap(),
        ThemeChoice::Light
    );
    // --no-color and NO_COLOR always mean mono
    assert_eq!(
        theme_choice(true, Some(ThemeChoice::Light), env(&[]), None).unwrap(),
        ThemeChoice::Mono
    );
    let no_color = env(&[("NO_COLOR", "1"), ("SGKEYS_THEME", "light")]);
    assert_eq!(
        theme_choice(false, Some(ThemeChoice::Dark), no_color, None).unwrap(),
        ThemeChoice::Mono
    );
    // unknown values name the valid ones, from wherever they came
    let bad = env(&[("SGKEYS_THEME", "solarized")]);
    let e = theme_choice(false, None, bad, None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("SGKEYS_THEME") && e.contains("auto, dark, light, mono"),
        "{e}"
    );
    let e = theme_choice(false, None, env(&[]), Some("neon"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("theme 'neon'") && e.contains("auto, dark, light, mono"),
        "{e}"
    );
    // the profile's value is carried unchecked, so other commands are not stopped by it
    let f = file("[profiles.p]\ntheme = \"neon\"\n");
    let ov = Overrides {
        profile: Some("p".into()),
        ..Default::default()
    };
    let s = resolve_with(&ov, &f, None, |_| None).unwrap();
    assert_eq!(s.profile_theme.as_deref(), Some("neon"));
}

#[test]
fn a_ca_cert_comes_from_the_flag_or_the_profile_and_must_be_pem() {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("ca.pem");
    let text = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    std::fs::write(&pem, text).unwrap();
    let other = dir.path().join("other.pem");
    std::fs::write(&other, "junk").unwrap();
    let f = file(&format!(
        "[profiles.proxy]\nca_cert = {:?}\n",
        pem.display().to_string()
    ));
    let s = resolve_with(&Overrides::default(), &f, None, |_| None).unwrap();
    assert_eq!(s.ca_cert_pem, None);
    let ov = Overrides {
        profile: Some("proxy".into()),
        ..Default::default()
    };
    let s = resolve_with(&ov, &f, None, |_| None).unwrap();
    assert_eq!(s.ca_cert_pem.as_deref(), Some(text));
    let ov = Overrides {
        profile: Some("proxy".into()),
        ca_cert: Some(other.clone()),
        ..Default::default()
    };
    let e = resolve_with(&ov, &f, None, |_| None).unwrap_err();
    assert!(e.to_string().contains("not a PEM certificate"), "{e}");
}

#[test]
fn profiles_and_precedence() {
    let f = file(
        r#"
            default_profile = "eu"
            [profiles.eu]
            region = "eu"
            on_behalf_of = "acme-eu"
            read_only = true
            api_key_env = "EU_KEY"
            timeout_secs = 3
            [profiles.sim]
            base_url = "http://127.0.0.1:9999"
            api_key_cmd = "echo hi"
            "#,
    );
    let s = resolve_with(&Overrides::default(), &f, None, |_| None).unwrap();
    assert_eq!(s.base_url, "https://api.eu.sendgrid.com");
    assert_eq!(s.on_behalf_of, Some(OnBehalfOf::Subuser("acme-eu".into())));
    assert!(s.read_only);
    assert_eq!(s.timeout, Duration::from_secs(3));
    assert!(matches!(s.api_key_with(|_| None), Err(ConfigError::MissingEnv(v)) if v == "EU_KEY"));

    let ov = Overrides {
        profile: Some("sim".into()),
        on_behalf_of: Some("account-id 42".into()),
        ..Default::default()
    };
    let s = resolve_with(&ov, &f, None, |_| None).unwrap();
    assert_eq!(s.base_url, "http://127.0.0.1:9999");
    assert_eq!(s.on_behalf_of, Some(OnBehalfOf::AccountId("42".into())));
    assert_eq!(s.key_source, KeySource::Command("echo hi".into()));
    assert!(!s.read_only);
    // env turns read-only on
    let s = resolve_with(&ov, &f, None, |k| {
        (k == "SGKEYS_READ_ONLY").then(|| "1".into())
    })
    .unwrap();
    assert!(s.read_only);
    // flag region beats profile base_url
    let ov = Overrides {
        profile: Some("sim".into()),
        region: Some(Region::Eu),
        ..Default::default()
    };
    assert_eq!(
        resolve_with(&ov, &f, None, |_| None).unwrap().base_url,
        "https://api.eu.sendgrid.com"
    );
}

#[test]
fn unknown_profile_and_bad_values_are_clear() {
    let f = file("[profiles.a]\n");
    let ov = Overrides {
        profile: Some("b".into()),
        ..Default::default()
    };
    let e = resolve_with(&ov, &f, None, |_| None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("'b'") && e.contains("known: a"), "{e}");
    let e = ConfigFile::parse("[profiles.a]\nregoin = 'eu'\n", Path::new("c.toml")).unwrap_err();
    assert!(e.to_string().contains("regoin"), "{e}");
    let f = file("[profiles.a]\nregion = 'mars'\n");
    let ov = Overrides {
        profile: Some("a".into()),
        ..Default::default()
    };
    assert!(
        resolve_with(&ov, &f, None, |_| None)
            .unwrap_err()
            .to_string()
            .contains("mars")
    );
    let ov = Overrides {
        base_url: Some("ftp://x".into()),
        ..Default::default()
    };
    assert!(resolve_with(&ov, &ConfigFile::default(), None, |_| None).is_err());
}

#[cfg(unix)]
#[test]
fn inline_key_needs_a_private_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        format!("default_profile='p'\n[profiles.p]\napi_key = '{KEY}'\n"),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let ov = Overrides {
        config_path: Some(path.clone()),
        ..Default::default()
    };
    let e = resolve(&ov).unwrap_err();
    assert!(
        matches!(e, ConfigError::InsecureFile { mode: 0o644, .. }),
        "{e}"
    );
    assert!(!e.to_string().contains(KEY));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let s = resolve(&ov).unwrap();
    assert_eq!(s.api_key().unwrap().expose(), KEY);
}

#[test]
fn key_command_takes_first_line_and_reports_failures() {
    assert_eq!(
        run_key_command(&format!("printf '\\n{KEY}\\nextra'")).unwrap(),
        KEY
    );
    let e = run_key_command("echo oops >&2; exit 3")
        .unwrap_err()
        .to_string();
    assert!(e.contains("oops") && e.contains('3'), "{e}");
    assert!(
        run_key_command("true")
            .unwrap_err()
            .to_string()
            .contains("printed nothing")
    );
}

#[test]
fn a_hanging_key_command_is_killed_at_the_timeout() {
    let t = std::time::Instant::now();
    let e = run_key_command_within("sleep 100", Duration::from_secs(1))
        .unwrap_err()
        .to_string();
    let took = t.elapsed();
    assert!(e.contains("did not finish within 1 s"), "{e}");
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(3),
        "{took:?}"
    );
    // the default, and a command that finishes in time
    assert_eq!(KEY_CMD_TIMEOUT, Duration::from_secs(30));
    assert_eq!(seconds(KEY_CMD_TIMEOUT), "30 s");
    assert_eq!(
        run_key_command_within(&format!("sleep 0.1; echo {KEY}"), Duration::from_secs(5)).unwrap(),
        KEY
    );
}

#[test]
fn endless_key_command_output_is_capped() {
    let t = std::time::Instant::now();
    let e = run_key_command_within("yes", Duration::from_secs(20))
        .unwrap_err()
        .to_string();
    assert!(e.contains("api_key_cmd printed more than 64 KiB"), "{e}");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    // exactly the cap is fine
    let cmd = format!(
        "echo {KEY}; head -c {} /dev/zero | tr '\\0' x",
        64 * 1024 - 70
    );
    assert_eq!(
        run_key_command_within(&cmd, Duration::from_secs(20)).unwrap(),
        KEY
    );
    // and a command flooding stderr does not block
    let cmd = format!("head -c 1000000 /dev/zero >&2; echo {KEY}");
    assert_eq!(
        run_key_command_within(&cmd, Duration::from_secs(20)).unwrap(),
        KEY
    );
}

#[test]
fn a_key_in_a_failing_commands_stderr_is_redacted() {
    let e = run_key_command(&format!("echo 'bad: {KEY} rejected' >&2; exit 1"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("bad: SG.…redacted rejected"), "{e}");
    assert!(!e.contains(&KEY[26..]), "{e}");
    // even where clipping would have cut it
    let pad = "x".repeat(180);
    let e = run_key_command(&format!("echo '{pad} {KEY}' >&2; exit 1"))
        .unwrap_err()
        .to_string();
    assert!(!e.contains(&KEY[26..40]), "{e}");
}

#[test]
fn an_endless_config_file_is_an_error() {
    let e = ConfigFile::load(Path::new("/dev/zero"), true)
        .unwrap_err()
        .to_string();
    assert!(e.contains("larger than 1 MiB"), "{e}");
}
