//! The one way sgkeys reads many keys' scopes at once, outside the dashboard (`audit`,
//! `list --scopes`, bulk `revoke`): every GET is started together, the client's gate bounds how
//! many are in flight and spaces them by the rate-limit headers, and `progress(done, total)` is
//! called as answers arrive. Results come back in the order asked.

use crate::api::{ApiError, ApiKeyId, Client, KeyDetail};

/// `(done, total)` as answers arrive.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// `GET /v3/api_keys/{id}` for every `(client, id)` (each client in its own context).
pub async fn details(
    jobs: &[(Client, ApiKeyId)],
    progress: Progress<'_>,
) -> Vec<Result<KeyDetail, ApiError>> {
    let total = jobs.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    progress(0, total);
    futures_util::future::join_all(jobs.iter().map(|(client, id)| {
        let done = &done;
        async move {
            let r = client.get_key(id).await;
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(n, total);
            r
        }
    }))
    .await
}
