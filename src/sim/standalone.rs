//! `sgkeys sim`: the simulator on its own, with a banner (text, or one JSON line for
//! scripts), serving until Ctrl-C.

use super::*;

/// `sgkeys sim`: start on 127.0.0.1:`port`, print a banner, serve until Ctrl-C.
/// `sgkeys sim`: serve until Ctrl-C. The banner is text, or with `json` one line
/// `{"base_url","eu_base_url","admin_key","accounts":[{"username","region","keys"}]}` for
/// scripts.
pub async fn run_standalone(
    cfg: SimConfig,
    port: u16,
    json: bool,
    ca_out: Option<&std::path::Path>,
) -> Result<(), SimError> {
    use std::io::Write as _;
    let addr = SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), port);
    let state_file = cfg.state_file.clone();
    let knobs = (
        cfg.latency,
        cfg.rate_limit,
        cfg.create_rate,
        cfg.revoke_delay,
        cfg.fail_rate,
        cfg.get_shape,
    );
    let sim = start(cfg, addr).await?;
    let url = sim.base_url();
    let eu_url = sim.eu_base_url();
    if let (Some(pem), Some(path)) = (sim.ca_cert_pem(), ca_out) {
        crate::fsutil::write_output(path, pem.as_bytes()).map_err(|e| {
            SimError::Config(format!(
                "cannot write the CA certificate to {}: {e}",
                path.display()
            ))
        })?;
    }
    let ca_flag = match (sim.ca_cert_pem(), ca_out) {
        (Some(_), Some(path)) => format!(" --ca-cert {}", path.display()),
        (Some(_), None) => " --ca-cert CA.pem".to_owned(),
        _ => String::new(),
    };
    let mut banner = String::new();
    {
        use std::fmt::Write as _;
        let store = lock(&sim.shared.store);
        let parent = &store.accounts[PARENT];
        let _ = writeln!(banner, "sgkeys SendGrid simulator listening on {url}");
        let _ = writeln!(
            banner,
            "  EU host   {eu_url} (EU subusers' on-behalf-of calls; elsewhere they get 451)"
        );
        let _ = writeln!(
            banner,
            "  account   {} ({} keys)",
            parent.username,
            parent.keys.len()
        );
        for a in store.accounts.iter().filter(|a| a.is_subuser()) {
            let _ = writeln!(
                banner,
                "  subuser   {} (id {}, {}, {} keys)",
                a.username,
                a.id,
                a.region.as_str(),
                a.keys.len()
            );
        }
        for a in store.accounts.iter().filter(|a| a.customer_id.is_some()) {
            let _ = writeln!(
                banner,
                "  customer  {} (--on-behalf-of 'account-id {}', {} keys)",
                a.username,
                a.customer_id.as_deref().unwrap_or(""),
                a.keys.len()
            );
        }
        let _ = writeln!(banner, "  admin key {}", sim.admin_key().expose());
        let (latency, rate, create, revoke, fail, shape) = knobs;
        let _ = writeln!(
            banner,
            "  limits    {rate} per account, key creation {create}, revoke delay {} ms",
            revoke.as_millis()
        );
        let _ = writeln!(
            banner,
            "  latency {} ms, fail rate {fail}, GET shape {shape}",
            latency.as_millis()
        );
        if let Some(p) = &state_file {
            let _ = writeln!(banner, "  state     {}", p.display());
        }
        match (sim.ca_cert_pem(), ca_out) {
            (Some(_), Some(path)) => {
                let _ = writeln!(
                    banner,
                    "  TLS       HTTP/2 and HTTP/1.1 over TLS; a CA made for this run is in {}",
                    path.display()
                );
            }
            (Some(pem), None) => {
                let _ = writeln!(
                    banner,
                    "  TLS       a CA made for this run (save it as CA.pem, or start with --tls-ca-out FILE):\n{pem}"
                );
            }
            _ => {}
        }
        let _ = writeln!(banner, "\nTry:");
        let _ = writeln!(
            banner,
            "  SENDGRID_API_KEY={} sgkeys --base-url {url} --eu-base-url {eu_url}{ca_flag} list",
            sim.admin_key().expose()
        );
        let _ = writeln!(banner, "\nPress Ctrl-C to stop.");
    }
    if json {
        let store = lock(&sim.shared.store);
        let accounts: Vec<serde_json::Value> = store
            .accounts
            .iter()
            .map(|a| {
                let mut v = serde_json::json!({
                    "username": a.username,
                    "subuser": a.is_subuser(),
                    "region": a.region.as_str(),
                    "keys": a.keys.len(),
                });
                if let Some(id) = &a.customer_id {
                    v["customer_id"] = serde_json::json!(id);
                }
                v
            })
            .collect();
        banner = serde_json::json!({
            "base_url": url,
            "eu_base_url": eu_url,
            "admin_key": sim.admin_key().expose(),
            "accounts": accounts,
            "ca_cert": sim.ca_cert_pem(),
            "ca_cert_file": ca_out.map(|p| p.display().to_string()),
        })
        .to_string();
        banner.push('\n');
    }
    {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(banner.as_bytes());
        let _ = out.flush();
    }
    let task_done = async {
        loop {
            tokio::time::sleep(Duration::from_millis(250)).await;
            if lock(&sim.task).as_ref().is_none_or(JoinHandle::is_finished) {
                break;
            }
        }
    };
    tokio::select! {
        r = tokio::signal::ctrl_c() => {
            if let Err(e) = r {
                tracing::warn!("cannot wait for Ctrl-C: {e}");
            }
        }
        () = task_done => {
            let task = lock(&sim.task).take();
            if let Some(task) = task {
                return match task.await {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(e)) => Err(SimError::Serve(e)),
                    Err(e) => Err(SimError::Serve(std::io::Error::other(e.to_string()))),
                };
            }
        }
    }
    sim.shutdown().await;
    Ok(())
}
