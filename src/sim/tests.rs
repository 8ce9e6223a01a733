//! The simulator as a whole: seeds, shapes, starting and state files.

use super::*;

#[test]
fn parses_seed_and_shape() {
    assert_eq!("demo".parse::<Seed>(), Ok(Seed::Demo));
    assert_eq!("Empty".parse::<Seed>(), Ok(Seed::Empty));
    assert_eq!("bulk:10000".parse::<Seed>(), Ok(Seed::Bulk(10000)));
    assert!("bulk:x".parse::<Seed>().is_err());
    assert!("bulk:1000001".parse::<Seed>().is_err());
    assert!("other".parse::<Seed>().is_err());
    assert_eq!(Seed::Bulk(5).to_string(), "bulk:5");
    assert_eq!(
        "fleet:20:100".parse::<Seed>(),
        Ok(Seed::Fleet {
            subusers: 20,
            keys: 100
        })
    );
    assert_eq!(
        Seed::Fleet {
            subusers: 2,
            keys: 3
        }
        .to_string(),
        "fleet:2:3"
    );
    assert!("fleet:20".parse::<Seed>().is_err());
    assert!("fleet:2000:1".parse::<Seed>().is_err());
    assert_eq!("wrapped".parse::<GetShape>(), Ok(GetShape::Wrapped));
    assert_eq!("flat".parse::<GetShape>(), Ok(GetShape::Flat));
    assert!("round".parse::<GetShape>().is_err());
}

#[test]
fn rejects_bad_settings() {
    let cfg = SimConfig {
        fail_rate: 1.5,
        ..SimConfig::default()
    };
    assert!(matches!(build_store(&cfg), Err(SimError::Config(_))));
    let cfg = SimConfig {
        admin_key: Some(Secret::from_server("SG.short".into())),
        ..SimConfig::default()
    };
    assert!(matches!(build_store(&cfg), Err(SimError::Config(_))));
}

#[tokio::test]
async fn two_starts_give_identical_keys() {
    let local: SocketAddr = ([127, 0, 0, 1], 0).into();
    let a = start(SimConfig::default(), local).await.unwrap();
    let b = start(SimConfig::default(), local).await.unwrap();
    assert_ne!(a.base_url(), b.base_url());
    assert_eq!(a.keys(None), b.keys(None));
    assert_eq!(a.admin_key(), b.admin_key());
    assert_eq!(
        a.keys(Some("acme-transactional")),
        b.keys(Some("acme-transactional"))
    );
    assert_eq!(a.keys(None).len(), 45);
    assert_eq!(
        a.keys(None)[0].api_key_id.as_str(),
        a.admin_key().key_id().unwrap()
    );
    assert_eq!(a.subusers().len(), 2);
    // keys created later are deterministic too
    let ka = a.add_key(None, "x", &["mail.send"]);
    let kb = b.add_key(None, "x", &["mail.send"]);
    assert_eq!(ka, kb);
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn bad_state_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    std::fs::write(&path, b"{not json").unwrap();
    let cfg = SimConfig {
        state_file: Some(path.clone()),
        ..SimConfig::default()
    };
    let err = start(cfg, ([127, 0, 0, 1], 0).into()).await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("state.json"), "{msg}");
    assert!(msg.contains("not a valid simulator state file"), "{msg}");
}
