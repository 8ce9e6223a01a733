//! A key's scopes understood for people and machines: type, per-category levels, counted and
//! auto-assigned scopes. Shared by the CLI (`list --scopes`, `show`, `audit`) and the TUI.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::api::KeyDetail;
use crate::scopes::{self, KeyType, Level};

/// One key with its scopes classified. Serialized as the stable `--json` shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyReport {
    pub api_key_id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub key_type: KeyType,
    /// Granted scopes, sorted (auto-assigned ones excluded).
    pub scopes: Vec<String>,
    /// Scopes SendGrid assigned by itself (never counted, never sent back).
    pub auto_assigned: Vec<String>,
    /// Level per category id, for categories with any access.
    pub categories: BTreeMap<&'static str, Level>,
    /// Scopes outside the catalog.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown_scopes: Vec<String>,
}

impl KeyReport {
    pub fn new(detail: &KeyDetail) -> Self {
        let c = scopes::classify(&detail.scopes);
        let mut granted: Vec<String> = detail
            .scopes
            .iter()
            .filter(|s| !scopes::is_auto_assigned(s))
            .cloned()
            .collect();
        granted.sort();
        granted.dedup();
        KeyReport {
            api_key_id: detail.api_key_id.0.clone(),
            name: detail.name.clone(),
            key_type: c.key_type,
            scopes: granted,
            auto_assigned: c.auto_assigned.clone(),
            categories: c
                .levels
                .iter()
                .filter(|l| l.level != Level::No)
                .map(|l| (l.category.id, l.level))
                .collect(),
            unknown_scopes: c.unknown,
        }
    }
}
