//! What changed between an earlier audit (its JSON) and this one: keys added, removed,
//! renamed, or with other scopes.

use super::*;

/// What changed between two audits.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Changes {
    pub old_generated_at: Option<String>,
    pub added: Vec<KeyRef>,
    pub removed: Vec<KeyRef>,
    pub renamed: Vec<Renamed>,
    pub scopes_changed: Vec<ScopeChange>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.renamed.is_empty()
            && self.scopes_changed.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyRef {
    pub context: Option<String>,
    pub api_key_id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub key_type: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Renamed {
    pub context: Option<String>,
    pub api_key_id: String,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScopeChange {
    pub context: Option<String>,
    pub api_key_id: String,
    pub name: String,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_to: Option<String>,
}

/// The part of an earlier `audit --format json` that `--since` needs. Lenient: unknown fields
/// are ignored, so older and newer reports compare.
#[derive(Debug, Deserialize)]
pub struct OldAudit {
    #[serde(default)]
    pub generated_at: Option<String>,
    pub keys: Vec<OldKey>,
}

#[derive(Debug, Deserialize)]
pub struct OldKey {
    #[serde(default)]
    pub context: Option<String>,
    pub api_key_id: String,
    pub name: String,
    #[serde(default, rename = "type")]
    pub key_type: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// Parse an earlier audit JSON with a message that says what is wrong.
pub fn parse_old(text: &str) -> Result<OldAudit, String> {
    serde_json::from_str(text).map_err(|e| {
        format!("not an `sgkeys audit --format json` report ({e}); create one with `sgkeys audit --format json --out FILE`")
    })
}

/// Compare an earlier audit with the current one.
pub fn changes(old: &OldAudit, new: &Audit) -> Changes {
    type K = (Option<String>, String);
    let old_map: BTreeMap<K, &OldKey> = old
        .keys
        .iter()
        .map(|k| ((k.context.clone(), k.api_key_id.clone()), k))
        .collect();
    let new_map: BTreeMap<K, &AuditKey> = new
        .keys
        .iter()
        .map(|k| ((k.context.clone(), k.report.api_key_id.clone()), k))
        .collect();
    // contexts that could not be read now must not look like mass removals
    let unreadable: BTreeSet<Option<String>> = new
        .contexts
        .iter()
        .filter(|c| c.error.is_some())
        .map(|c| c.context.clone())
        .collect();
    let mut c = Changes {
        old_generated_at: old.generated_at.clone(),
        ..Default::default()
    };
    for (k, n) in &new_map {
        match old_map.get(k) {
            None => c.added.push(KeyRef {
                context: k.0.clone(),
                api_key_id: k.1.clone(),
                name: n.report.name.clone(),
                key_type: n.report.key_type.badge().to_lowercase(),
            }),
            Some(o) => {
                if o.name != n.report.name {
                    c.renamed.push(Renamed {
                        context: k.0.clone(),
                        api_key_id: k.1.clone(),
                        from: o.name.clone(),
                        to: n.report.name.clone(),
                    });
                }
                let before: BTreeSet<String> = scopes::sendable(&o.scopes).into_iter().collect();
                let after: BTreeSet<String> = n.report.scopes.iter().cloned().collect();
                // scopes not read now (or not said) are not "all removed"
                if n.scopes_known && before != after {
                    let type_now = n.report.key_type.badge().to_lowercase();
                    let type_then = o.key_type.clone().unwrap_or_else(|| {
                        scopes::classify(&o.scopes).key_type.badge().to_lowercase()
                    });
                    let (type_from, type_to) = if type_then != type_now {
                        (Some(type_then), Some(type_now))
                    } else {
                        (None, None)
                    };
                    c.scopes_changed.push(ScopeChange {
                        context: k.0.clone(),
                        api_key_id: k.1.clone(),
                        name: n.report.name.clone(),
                        added: after.difference(&before).cloned().collect(),
                        removed: before.difference(&after).cloned().collect(),
                        type_from,
                        type_to,
                    });
                }
            }
        }
    }
    for (k, o) in &old_map {
        if !new_map.contains_key(k) && !unreadable.contains(&k.0) {
            c.removed.push(KeyRef {
                context: k.0.clone(),
                api_key_id: k.1.clone(),
                name: o.name.clone(),
                key_type: o.key_type.clone().unwrap_or_default(),
            });
        }
    }
    c
}

/// Human rendering of [`Changes`].
pub fn changes_text(c: &Changes) -> String {
    let mut o = String::new();
    let since = c
        .old_generated_at
        .as_deref()
        .unwrap_or("the earlier report");
    if c.is_empty() {
        return format!("No changes since {since}.\n");
    }
    o.push_str(&format!("Changes since {since}:\n"));
    // `  + added    ID  WHAT [context]`: the marks padded to one column
    let entry = |o: &mut String, mark: &str, id: &str, what: String, c: &Option<String>| {
        let ctx = c.as_deref().map(|s| format!(" [{s}]")).unwrap_or_default();
        o.push_str(&format!("  {mark:<11}{id}  {what}{ctx}\n"));
    };
    for k in &c.added {
        let what = format!("{} ({})", k.name, k.key_type);
        entry(&mut o, "+ added", &k.api_key_id, what, &k.context);
    }
    for k in &c.removed {
        entry(
            &mut o,
            "- removed",
            &k.api_key_id,
            k.name.clone(),
            &k.context,
        );
    }
    for r in &c.renamed {
        let what = format!("'{}' → '{}'", r.from, r.to);
        entry(&mut o, "~ renamed", &r.api_key_id, what, &r.context);
    }
    for s in &c.scopes_changed {
        let t = match (&s.type_from, &s.type_to) {
            (Some(a), Some(b)) => format!(", type {a} → {b}"),
            _ => String::new(),
        };
        let what = format!("{}: +{} −{}{t}", s.name, s.added.len(), s.removed.len());
        entry(&mut o, "~ scopes", &s.api_key_id, what, &s.context);
        for a in &s.added {
            o.push_str(&format!("        + {a}\n"));
        }
        for r in &s.removed {
            o.push_str(&format!("        - {r}\n"));
        }
    }
    o
}
