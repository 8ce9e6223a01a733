//! Secret-bearing values: the caller's API key and a newly created key's secret.
//!
//! `Secret` never prints its value: `Debug` and `Display` show `SG.<id>.<redacted>` (the id is
//! the public, 22-character middle part; it cannot authenticate). The only way to read the value
//! is [`Secret::expose`], used to build the `Authorization` header and for the one-time display
//! of a created key.

use std::fmt;

/// Total length of a SendGrid API key: `SG.` + 22 + `.` + 43.
pub const KEY_LEN: usize = 69;
/// Length of the id (middle) part.
pub const ID_LEN: usize = 22;
/// Length of the secret (last) part.
pub const SECRET_LEN: usize = 43;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Why a string is not a well-formed SendGrid API key. Messages describe the problem without
/// echoing any part of the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyFormatError {
    #[error("the API key is empty")]
    Empty,
    #[error("a SendGrid API key starts with 'SG.'; this one does not")]
    MissingPrefix,
    #[error(
        "a SendGrid API key is {KEY_LEN} characters long (SG. + 22 + . + 43); this one has {0}"
    )]
    Length(usize),
    #[error(
        "a SendGrid API key is SG.<22-character id>.<43-character secret>; this one's parts are \
         {id_len} and {secret_len} characters long"
    )]
    Parts { id_len: usize, secret_len: usize },
    #[error("a SendGrid API key has 3 parts separated by '.' (SG, id, secret); this one has {0}")]
    PartCount(usize),
    #[error(
        "character {0} of the API key is not allowed (only A-Z, a-z, 0-9, '-' and '_' after 'SG.'); \
         was it copied with extra characters?"
    )]
    BadChar(usize),
}

/// A SendGrid API key or a freshly minted key secret. Redacted in `Debug` and `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Parse and validate a full key (surrounding whitespace, e.g. a trailing newline from a
    /// password manager, is ignored).
    pub fn parse(raw: &str) -> Result<Self, KeyFormatError> {
        let key = raw.trim();
        validate(key)?;
        Ok(Secret(key.to_owned()))
    }

    /// Wrap a value the server returned, without validating its shape.
    pub fn from_server(value: String) -> Self {
        Secret(value)
    }

    /// The raw value. Call sites: the `Authorization` header, the one-time secret display and
    /// `create --json`.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The key id (middle part), when the value is well-formed.
    pub fn key_id(&self) -> Option<&str> {
        validate(&self.0).ok().map(|()| &self.0[3..3 + ID_LEN])
    }

    /// Mint a new random key. Returns the secret; its id is `key_id()`.
    pub fn generate<R: rand::Rng + ?Sized>(rng: &mut R) -> Self {
        let mut s = String::with_capacity(KEY_LEN);
        s.push_str("SG.");
        for _ in 0..ID_LEN {
            s.push(ALPHABET[rng.random_range(0..64)] as char);
        }
        s.push('.');
        for _ in 0..SECRET_LEN {
            s.push(ALPHABET[rng.random_range(0..64)] as char);
        }
        Secret(s)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({self})")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.key_id() {
            Some(id) => write!(f, "SG.{id}.<redacted>"),
            None => f.write_str("<redacted>"),
        }
    }
}

fn validate(key: &str) -> Result<(), KeyFormatError> {
    if key.is_empty() {
        return Err(KeyFormatError::Empty);
    }
    let Some(rest) = key.strip_prefix("SG.") else {
        return Err(KeyFormatError::MissingPrefix);
    };
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.';
    if let Some(pos) = rest.chars().position(|c| !allowed(c)) {
        // 1-based position in the whole key
        return Err(KeyFormatError::BadChar(pos + 4));
    }
    if key.len() != KEY_LEN {
        return Err(KeyFormatError::Length(key.len()));
    }
    match rest.split('.').collect::<Vec<_>>().as_slice() {
        [id, secret] if id.len() == ID_LEN && secret.len() == SECRET_LEN => Ok(()),
        [id, secret] => Err(KeyFormatError::Parts {
            id_len: id.len(),
            secret_len: secret.len(),
        }),
        parts => Err(KeyFormatError::PartCount(parts.len() + 1)),
    }
}

/// The key id (the 22-character middle part) of a full key: what `DELETE /v3/api_keys/{id}`
/// takes. Used to revoke a leaked key from the key itself.
pub fn key_id_of(raw: &str) -> Result<String, KeyFormatError> {
    let key = raw.trim();
    validate(key)?;
    Ok(key[3..3 + ID_LEN].to_owned())
}

/// Whether `text` looks like a whole SendGrid key (used to detect a pasted key).
pub fn looks_like_key(text: &str) -> bool {
    validate(text.trim()).is_ok()
}

/// Whether `text` holds what may be part of a secret: `SG.` followed by key characters, or a
/// run of 30 or more key characters after a `.` (the secret half). Used to refuse echoing an
/// argument that was meant as an id but carries key material.
pub fn contains_key_material(text: &str) -> bool {
    let key_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if let Some(i) = text.find("SG.")
        && text[i + 3..].chars().take_while(|c| key_char(*c)).count() >= 8
    {
        return true;
    }
    text.split('.')
        .skip(1)
        .any(|part| part.chars().take_while(|c| key_char(*c)).count() >= 30)
}

/// `text` with everything shaped like a SendGrid key (`SG.` + 22 + `.` + 43 characters of
/// A-Z, a-z, 0-9, `-`, `_`) replaced by `SG.…redacted`, for showing another program's output
/// (e.g. a failing key command's stderr). Characters of the same alphabet right after a match
/// go too, so a longer look-alike does not leave its tail behind.
pub fn redact_keys(text: &str) -> String {
    let key_char = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    let bytes = text.as_bytes();
    let is_key_at = |i: usize| {
        bytes.len() >= i + KEY_LEN
            && bytes[i..].starts_with(b"SG.")
            && bytes[i + 3..i + 3 + ID_LEN].iter().all(|&b| key_char(b))
            && bytes[i + 3 + ID_LEN] == b'.'
            && bytes[i + 4 + ID_LEN..i + KEY_LEN]
                .iter()
                .all(|&b| key_char(b))
    };
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'S' && is_key_at(i) {
            // `i` and `end` sit on ASCII bytes, so both are char boundaries.
            out.push_str(&text[copied..i]);
            out.push_str("SG.…redacted");
            let mut end = i + KEY_LEN;
            while end < bytes.len() && key_char(bytes[end]) {
                end += 1;
            }
            copied = end;
            i = end;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    const GOOD: &str = "SG.qfTQ6KG0QBiwWdJ0-pCLCA.abcdefghijklmnopqrstuvwxyz0123456789-_ABCDE";
    const SECRET_PART: &str = "abcdefghijklmnopqrstuvwxyz0123456789-_ABCDE";

    #[test]
    fn accepts_a_well_formed_key_and_derives_its_id() {
        assert_eq!(GOOD.len(), KEY_LEN);
        let s = Secret::parse(GOOD).unwrap();
        assert_eq!(s.key_id(), Some("qfTQ6KG0QBiwWdJ0-pCLCA"));
        assert_eq!(
            key_id_of(&format!("  {GOOD}\n")).unwrap(),
            "qfTQ6KG0QBiwWdJ0-pCLCA"
        );
        assert!(looks_like_key(GOOD));
    }

    #[test]
    fn rejects_malformed_keys_without_echoing_them() {
        let cases = [
            ("", KeyFormatError::Empty),
            (
                "XG.qfTQ6KG0QBiwWdJ0-pCLCA.abcdefghijklmnopqrstuvwxyz0123456789-_ABCDE",
                KeyFormatError::MissingPrefix,
            ),
            ("SG.short.key", KeyFormatError::Length(12)),
            (
                "SG.qfTQ6KG0QBiwWdJ0-pCLCAa.bcdefghijklmnopqrstuvwxyz0123456789-_ABCDE",
                KeyFormatError::Parts {
                    id_len: 23,
                    secret_len: 42,
                },
            ),
            (
                "SG.qfTQ6KG0QBiwWdJ0-pCLCA.abcdefghijklmnopqrstuvwxyz0123456789+_ABCDE",
                KeyFormatError::BadChar(63),
            ),
        ];
        for (input, want) in cases {
            let err = Secret::parse(input).unwrap_err();
            assert_eq!(err, want, "{input}");
            let msg = err.to_string();
            if input.len() > 10 {
                assert!(
                    !msg.contains(&input[3..12]),
                    "message echoes the key: {msg}"
                );
            }
        }
        assert_eq!(
            Secret::parse("SG.qfTQ6KG0QBiwWdJ0.pCLCA.abcdefghijklmnopqrstuvwxyz0123456789-_ABCDE"),
            Err(KeyFormatError::PartCount(4))
        );
    }

    #[test]
    fn redacts_in_debug_and_display() {
        let s = Secret::parse(GOOD).unwrap();
        for text in [
            format!("{s:?}"),
            format!("{s}"),
            format!("{:?}", Some(&s)),
            format!("{:#?}", vec![s.clone()]),
        ] {
            assert!(!text.contains(SECRET_PART), "{text}");
            assert!(!text.contains(GOOD), "{text}");
        }
        assert_eq!(s.to_string(), "SG.qfTQ6KG0QBiwWdJ0-pCLCA.<redacted>");
        let odd = Secret::from_server("SG.xxxxxxxx.yyyyyyyy".into());
        assert_eq!(odd.to_string(), "<redacted>");
        assert!(!format!("{odd:?}").contains("yyyy"));
    }

    #[test]
    fn redacts_key_shaped_text() {
        assert_eq!(
            redact_keys(&format!("error: bad key {GOOD}, try again")),
            "error: bad key SG.…redacted, try again"
        );
        assert_eq!(
            redact_keys(&format!("é{GOOD}\n{GOOD}xyz.{GOOD}")),
            "éSG.…redacted\nSG.…redacted.SG.…redacted"
        );
        // not key-shaped: left alone
        for text in ["SG.short.key", "no keys here", "", "SG.", "ééé SG"] {
            assert_eq!(redact_keys(text), text);
        }
        let near = GOOD.replace('.', "+");
        assert_eq!(redact_keys(&near), near);
        assert!(!redact_keys(&format!("x{GOOD}")).contains(SECRET_PART));
    }

    #[test]
    fn generated_keys_are_well_formed_and_distinct() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let a = Secret::generate(&mut rng);
        let b = Secret::generate(&mut rng);
        assert!(Secret::parse(a.expose()).is_ok());
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), KEY_LEN);
    }
}
