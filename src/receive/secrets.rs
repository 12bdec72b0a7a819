//! The secret file, re-read when it changes (a mounted Kubernetes Secret is swapped atomically
//! by the kubelet), with the previous secret still accepted for a grace period.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hookwright::signature::{KeyFormat, SigningKey};
use sha2::{Digest, Sha256};

/// Why the secret file cannot be used. Never contains the secret.
#[derive(Debug, thiserror::Error)]
pub enum SecretFileError {
    #[error("cannot read secret file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("secret file {path}: {source}")]
    Key {
        path: PathBuf,
        #[source]
        source: hookwright::signature::KeyError,
    },
}

/// What a reload did.
#[derive(Debug, PartialEq, Eq)]
pub enum Reload {
    /// The file holds the same secret as before.
    Unchanged,
    /// A new secret is current; the old one is accepted until the grace period ends.
    Rotated,
    /// The file is unreadable or not a usable secret, as at the previous reload (the error was
    /// returned then; it is not repeated at every poll).
    StillRefused,
}

/// The accepted secrets: the current one first, then previous ones until their deadline.
pub struct SecretSet {
    path: PathBuf,
    format: KeyFormat,
    grace: Duration,
    current: SigningKey,
    current_digest: [u8; 32],
    /// The digest of the last unusable content, so it is reported once, not at every poll.
    refused_digest: Option<[u8; 32]>,
    /// Whether the previous reload could not read the file (reported once, like bad content).
    unreadable: bool,
    previous: Vec<(SigningKey, Instant)>,
    /// Current and unexpired previous keys, in that order (what verification uses).
    accepted: Vec<SigningKey>,
}

fn digest(contents: &[u8]) -> [u8; 32] {
    Sha256::digest(contents).into()
}

impl SecretSet {
    /// Reads the file once; fails if it is unreadable or not a usable secret.
    pub fn load(path: &Path, format: KeyFormat, grace: Duration) -> Result<SecretSet, SecretFileError> {
        let contents = read(path)?;
        let key = SigningKey::from_file_contents(&contents, format)
            .map_err(|source| SecretFileError::Key { path: path.to_path_buf(), source })?;
        Ok(SecretSet {
            path: path.to_path_buf(),
            format,
            grace,
            accepted: vec![key.clone()],
            current: key,
            current_digest: digest(hookwright::signature::key::trim_line_end(&contents)),
            refused_digest: None,
            unreadable: false,
            previous: Vec::new(),
        })
    }

    /// Keys to verify with: the current one first.
    pub fn accepted(&self) -> &[SigningKey] {
        &self.accepted
    }

    /// Re-reads the file at `now`; also retires previous secrets whose grace period is over.
    pub fn reload(&mut self, now: Instant) -> Result<Reload, SecretFileError> {
        self.expire(now);
        let contents = match read(&self.path) {
            Ok(c) => {
                self.unreadable = false;
                c
            }
            Err(_) if self.unreadable => return Ok(Reload::StillRefused),
            Err(e) => {
                self.unreadable = true;
                return Err(e);
            }
        };
        let trimmed = hookwright::signature::key::trim_line_end(&contents);
        let d = digest(trimmed);
        if d == self.current_digest {
            self.refused_digest = None;
            return Ok(Reload::Unchanged);
        }
        match SigningKey::from_bytes(trimmed, self.format) {
            Ok(key) => {
                let old = std::mem::replace(&mut self.current, key);
                self.previous.insert(0, (old, now + self.grace));
                self.current_digest = d;
                self.refused_digest = None;
                self.rebuild();
                Ok(Reload::Rotated)
            }
            Err(source) => {
                let reported = self.refused_digest == Some(d);
                self.refused_digest = Some(d);
                if reported {
                    Ok(Reload::StillRefused)
                } else {
                    Err(SecretFileError::Key { path: self.path.clone(), source })
                }
            }
        }
    }

    /// Drops previous secrets whose grace period ended before `now`.
    pub fn expire(&mut self, now: Instant) {
        let before = self.previous.len();
        self.previous.retain(|(_, until)| *until > now);
        if self.previous.len() != before {
            self.rebuild();
        }
    }

    fn rebuild(&mut self) {
        self.accepted =
            std::iter::once(self.current.clone()).chain(self.previous.iter().map(|(k, _)| k.clone())).collect();
    }
}

fn read(path: &Path) -> Result<Vec<u8>, SecretFileError> {
    std::fs::read(path).map_err(|source| SecretFileError::Read { path: path.to_path_buf(), source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hookwright::signature::{WebhookHeaders, sign, verify_headers};

    fn matches(set: &SecretSet, secret: &str) -> bool {
        let key = SigningKey::raw(secret).unwrap();
        let sig = sign(&key, "m", 1, b"");
        let h = WebhookHeaders { id: "m", timestamp: "1", signature: &sig };
        verify_headers(set.accepted(), &h, b"", 1, Duration::ZERO).is_ok()
    }

    #[test]
    fn rotation_keeps_the_old_secret_for_the_grace_period() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "old-secret\n").unwrap();
        let t0 = Instant::now();
        let mut set = SecretSet::load(&path, KeyFormat::Raw, Duration::from_secs(60)).unwrap();
        assert_eq!(set.reload(t0).unwrap(), Reload::Unchanged);
        std::fs::write(&path, "old-secret").unwrap();
        assert_eq!(set.reload(t0).unwrap(), Reload::Unchanged, "only the line ending changed");

        std::fs::write(&path, "new-secret").unwrap();
        assert_eq!(set.reload(t0).unwrap(), Reload::Rotated);
        assert!(matches(&set, "new-secret") && matches(&set, "old-secret"));
        assert_eq!(set.accepted().len(), 2);

        set.expire(t0 + Duration::from_secs(59));
        assert!(matches(&set, "old-secret"));
        set.expire(t0 + Duration::from_secs(61));
        assert!(matches(&set, "new-secret") && !matches(&set, "old-secret"));
        assert_eq!(set.accepted().len(), 1);
    }

    #[test]
    fn unusable_content_keeps_the_current_secret_and_is_reported_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "good-secret").unwrap();
        let mut set = SecretSet::load(&path, KeyFormat::Raw, Duration::from_secs(60)).unwrap();
        std::fs::write(&path, "\n").unwrap();
        let t = Instant::now();
        let err = set.reload(t).unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
        assert_eq!(set.reload(t).unwrap(), Reload::StillRefused);
        assert!(matches(&set, "good-secret"));
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(set.reload(t), Err(SecretFileError::Read { .. })));
        assert_eq!(set.reload(t).unwrap(), Reload::StillRefused, "reported once");
        assert!(matches(&set, "good-secret"));
        std::fs::write(&path, "good-secret").unwrap();
        assert_eq!(set.reload(t).unwrap(), Reload::Unchanged);
        assert!(SecretSet::load(&dir.path().join("missing"), KeyFormat::Raw, Duration::ZERO).is_err());
    }
}
