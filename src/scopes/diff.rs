//! Side-by-side comparison of two scope sets, by category (the `diff` command and dialog).

use std::collections::BTreeSet;

use serde::Serialize;

use super::Level;

/// Side-by-side comparison of two scope sets, by category.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScopeDiff {
    pub left: String,
    pub right: String,
    pub categories: Vec<CategoryDiff>,
    pub only_left: Vec<String>,
    pub only_right: Vec<String>,
    pub common: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryDiff {
    pub category: &'static str,
    pub label: &'static str,
    pub left: Level,
    pub right: Level,
    pub only_left: Vec<String>,
    pub only_right: Vec<String>,
}

/// Compare two scope lists (auto-assigned scopes ignored). Categories where both are No Access
/// are left out.
pub fn scope_diff(
    left_label: &str,
    left: &[String],
    right_label: &str,
    right: &[String],
) -> ScopeDiff {
    let l: BTreeSet<&str> = left
        .iter()
        .map(String::as_str)
        .filter(|s| !super::is_auto_assigned(s))
        .collect();
    let r: BTreeSet<&str> = right
        .iter()
        .map(String::as_str)
        .filter(|s| !super::is_auto_assigned(s))
        .collect();
    let categories = super::categories()
        .iter()
        .filter_map(|c| {
            let (ll, rl) = (c.level_of(&l), c.level_of(&r));
            if ll == Level::No && rl == Level::No {
                return None;
            }
            Some(CategoryDiff {
                category: c.id,
                label: c.label,
                left: ll,
                right: rl,
                only_left: c
                    .scopes
                    .iter()
                    .filter(|s| l.contains(*s) && !r.contains(*s))
                    .map(|s| (*s).to_owned())
                    .collect(),
                only_right: c
                    .scopes
                    .iter()
                    .filter(|s| r.contains(*s) && !l.contains(*s))
                    .map(|s| (*s).to_owned())
                    .collect(),
            })
        })
        .collect();
    ScopeDiff {
        left: left_label.to_owned(),
        right: right_label.to_owned(),
        categories,
        only_left: l.difference(&r).map(|s| (*s).to_owned()).collect(),
        only_right: r.difference(&l).map(|s| (*s).to_owned()).collect(),
        common: l.intersection(&r).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_diff_by_category() {
        let a: Vec<String> = ["mail.send", "stats.read", "2fa_required"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let b: Vec<String> = ["mail.send", "alerts.read"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let d = scope_diff("a", &a, "b", &b);
        assert_eq!(d.only_left, vec!["stats.read"]);
        assert_eq!(d.only_right, vec!["alerts.read"]);
        assert_eq!(d.common, 1);
        let cats: Vec<&str> = d.categories.iter().map(|c| c.category).collect();
        assert!(cats.contains(&"mail") && cats.contains(&"alerts") && cats.contains(&"stats"));
        assert!(!cats.contains(&"billing"));
    }
}
