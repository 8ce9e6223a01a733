//! What a simulator is started with: the seed, the shape of its GET answers, its rates and
//! delays (`SimConfig`; the defaults are as slow as SendGrid, `SimConfig::fast()` is not).

use super::*;

/// What the simulator starts with (ignored when a state file is loaded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seed {
    /// The demo account `acme-corp`: admin key + 44 keys, and two subusers with keys.
    Demo,
    /// Nothing but the admin key.
    Empty,
    /// The admin key plus N generated keys in the parent (the 100-key limit applies to
    /// creation, not seeding).
    Bulk(usize),
    /// `fleet:S:N`: S subusers (`fleet-001`…, global region) with N generated keys each.
    Fleet { subusers: usize, keys: usize },
}

/// Largest bulk seed accepted.
pub const MAX_BULK: usize = 100_000;

impl FromStr for Seed {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        match s.to_ascii_lowercase().as_str() {
            "demo" => Ok(Seed::Demo),
            "empty" => Ok(Seed::Empty),
            other if other.starts_with("fleet:") => {
                let bad = || format!("'{s}': use fleet:S:N (S subusers with N keys each)");
                let mut parts = other["fleet:".len()..].split(':');
                let (Some(a), Some(b), None) = (parts.next(), parts.next(), parts.next()) else {
                    return Err(bad());
                };
                let subusers: usize = a.trim().parse().map_err(|_| bad())?;
                let keys: usize = b.trim().parse().map_err(|_| bad())?;
                if subusers > 1000 || subusers.saturating_mul(keys) > MAX_BULK {
                    return Err(format!(
                        "'{s}': at most 1000 subusers and {MAX_BULK} keys in all"
                    ));
                }
                Ok(Seed::Fleet { subusers, keys })
            }
            other => {
                let n = other.strip_prefix("bulk:").ok_or_else(|| {
                    format!("unknown seed '{s}': use demo, empty, bulk:N or fleet:S:N")
                })?;
                let n: usize = n
                    .trim()
                    .parse()
                    .map_err(|_| format!("'{s}': N in bulk:N must be a whole number"))?;
                if n > MAX_BULK {
                    return Err(format!("'{s}': at most bulk:{MAX_BULK}"));
                }
                Ok(Seed::Bulk(n))
            }
        }
    }
}

impl fmt::Display for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Seed::Demo => f.write_str("demo"),
            Seed::Empty => f.write_str("empty"),
            Seed::Bulk(n) => write!(f, "bulk:{n}"),
            Seed::Fleet { subusers, keys } => write!(f, "fleet:{subusers}:{keys}"),
        }
    }
}

/// Shape of the `GET /v3/api_keys/{id}` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GetShape {
    /// `{"api_key_id","name","scopes"}`, what SendGrid really returns.
    #[default]
    Flat,
    /// `{"result":[{…}]}`, the OpenAPI spec's (erroneous) shape.
    Wrapped,
}

impl FromStr for GetShape {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "flat" => Ok(GetShape::Flat),
            "wrapped" => Ok(GetShape::Wrapped),
            other => Err(format!("unknown GET shape '{other}': use flat or wrapped")),
        }
    }
}

impl fmt::Display for GetShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GetShape::Flat => "flat",
            GetShape::Wrapped => "wrapped",
        })
    }
}

/// Simulator settings (the `sgkeys sim` flags).
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub seed: Seed,
    /// Added to every `/v3` request.
    pub latency: Duration,
    /// Requests per fixed window per calling account (on-behalf-of calls count against the
    /// calling key's account): [`DEFAULT_RATE`], 600 per 60 s.
    pub rate_limit: Rate,
    /// Key creations (`POST /v3/api_keys`) per fixed window per calling account, on top of
    /// `rate_limit`: [`DEFAULT_CREATE_RATE`], 1 per 2 s.
    pub create_rate: Rate,
    /// Fraction (0–1) of `/v3` requests that fail (429, 500, 503 HTML, timeout).
    pub fail_rate: f64,
    /// How long a simulated timeout keeps the request unanswered (then 504).
    pub hang: Duration,
    /// Load at start if present; rewritten after every mutation.
    pub state_file: Option<PathBuf>,
    /// The admin (owner) key; generated when `None`.
    pub admin_key: Option<Secret>,
    pub get_shape: GetShape,
    /// Seed for the admin key, new keys' secrets and fault rolls; `None` = OS randomness.
    pub rng_seed: Option<u64>,
    /// A connection that has not sent a complete request head (request line and headers) within
    /// this long is closed, so idle or slow clients (slowloris) cannot hold the simulator. It
    /// also closes keep-alive connections that stay idle this long between requests.
    pub header_timeout: Duration,
    /// How long a revoked key keeps authenticating (SendGrid's propagation delay):
    /// [`DEFAULT_REVOKE_DELAY`], 2 s.
    pub revoke_delay: Duration,
    /// Port of the EU host's listener (0: any free port).
    pub eu_port: u16,
    /// Serve HTTPS (a fresh CA per start; HTTP/2 and HTTP/1.1 by ALPN).
    pub tls: bool,
    /// With `tls`: offer HTTP/1.1 only (for comparisons).
    pub http1_only: bool,
    /// A new connection's first answer waits this much more (a TCP + TLS handshake's round
    /// trips), so per-connection costs show in benchmarks as they do on the internet.
    pub connect_delay: Duration,
    /// HTTP/2: streams a client may have open at once on one connection
    /// (`SETTINGS_MAX_CONCURRENT_STREAMS`); more wait in the client for a stream to close.
    pub h2_max_streams: u32,
}

/// Default [`SimConfig::h2_max_streams`]: 128, as nginx and AWS load balancers advertise
/// (an assumption: SendGrid's own figure is not documented).
pub const H2_MAX_STREAMS: u32 = 128;

/// Default [`SimConfig::header_timeout`] (an assumption: SendGrid does not document its own).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// Default [`SimConfig::rate_limit`]: 600 requests per 60 s, the only figure seen in public
/// (`X-RateLimit-Limit: 600` on `/v3/scopes`; an assumption for the API-keys endpoints).
pub const DEFAULT_RATE: Rate = Rate::new(600, 60);

/// Default [`SimConfig::create_rate`]: one key creation per 2 s (an assumption: the Terraform
/// providers' docs and issues report about one creation every 1–3 s).
pub const DEFAULT_CREATE_RATE: Rate = Rate::new(1, 2);

/// Default [`SimConfig::revoke_delay`] (an assumption: SendGrid says only "after some small
/// propagation delay").
pub const DEFAULT_REVOKE_DELAY: Duration = Duration::from_secs(2);

/// The rate of [`SimConfig::fast`]: 1000 requests per second, for creations too.
pub const FAST_RATE: Rate = Rate::per_second(1000);

impl Default for SimConfig {
    /// As slow and strict as SendGrid is believed to be: 600 requests per 60 s, one key
    /// creation per 2 s, a revoked key authenticating for 2 s more. Demo seed, no latency, no
    /// faults, 30 s hang, no state file, generated admin key, flat GET, `rng_seed: Some(42)`
    /// (stable ids for demos and snapshots), 5 s header timeout. [`SimConfig::fast`] is the
    /// same without the waits.
    fn default() -> Self {
        SimConfig {
            seed: Seed::Demo,
            latency: Duration::ZERO,
            rate_limit: DEFAULT_RATE,
            create_rate: DEFAULT_CREATE_RATE,
            fail_rate: 0.0,
            hang: Duration::from_secs(30),
            state_file: None,
            admin_key: None,
            get_shape: GetShape::Flat,
            rng_seed: Some(42),
            header_timeout: HEADER_TIMEOUT,
            revoke_delay: DEFAULT_REVOKE_DELAY,
            eu_port: 0,
            tls: false,
            http1_only: false,
            connect_delay: Duration::ZERO,
            h2_max_streams: H2_MAX_STREAMS,
        }
    }
}

impl SimConfig {
    /// The default settings without SendGrid's waits, for tests and benchmarks that need
    /// speed: 1000 requests per second, 1000 key creations per second, revoked keys stop
    /// authenticating at once (`sgkeys sim --rate-limit 1000/1s --create-rate 1000/1s
    /// --revoke-delay-ms 0`).
    pub fn fast() -> Self {
        SimConfig {
            rate_limit: FAST_RATE,
            create_rate: FAST_RATE,
            revoke_delay: Duration::ZERO,
            ..SimConfig::default()
        }
    }
}
