//! Bearer tokens: who is calling, signed by the kernel (HS256).
//!
//! Owns issuing and verifying tokens and the secret that signs them. A token
//! names a principal (role, county, team); what that principal may do is for
//! the policies to say, never for this module.

use std::path::Path;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::authz::{Principal, Role};
use crate::org::MemberRole;

const SECRET_FILE: &str = "token-secret";

#[derive(Debug, Error)]
pub enum TokenError {
    #[error("the request has no bearer token")]
    Missing,
    #[error("the bearer token is invalid or expired")]
    Invalid,
    #[error("a token for role `{role}` needs {missing}")]
    Incomplete { role: String, missing: &'static str },
    #[error("a plugin acts only through the kernel and gets no token")]
    PluginToken,
    #[error("cannot read or create the token secret `{path}`: {message}")]
    Secret { path: String, message: String },
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    county: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    team: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    duty: Option<MemberRole>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    institution: Option<String>,
    iat: u64,
    exp: u64,
}

/// Signs and verifies tokens with one secret.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(..)")
    }
}

impl TokenKeys {
    pub fn from_secret(secret: &[u8]) -> Self {
        TokenKeys { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret) }
    }

    /// The secret in `<data_dir>/token-secret`, made (random, owner-only) on
    /// first use. Replicas that share a database must share this file.
    pub fn from_data_dir(data_dir: &Path) -> Result<Self, TokenError> {
        let path = data_dir.join(SECRET_FILE);
        let error = |message: String| TokenError::Secret { path: path.display().to_string(), message };
        if !path.exists() {
            std::fs::create_dir_all(data_dir).map_err(|e| error(e.to_string()))?;
            let mut secret = [0u8; 32];
            getrandom::fill(&mut secret).map_err(|e| error(e.to_string()))?;
            write_private(&path, hex::encode(secret).as_bytes()).map_err(|e| error(e.to_string()))?;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| error(e.to_string()))?;
        let secret = hex::decode(text.trim()).map_err(|_| error("not a hex-encoded secret".into()))?;
        if secret.len() < 32 {
            return Err(error("the secret must be at least 32 bytes".into()));
        }
        Ok(Self::from_secret(&secret))
    }

    /// A token for `principal`, valid for `ttl_seconds` from `now` (Unix time).
    pub fn issue(&self, principal: &Principal, now: u64, ttl_seconds: u64) -> Result<String, TokenError> {
        check_complete(principal)?;
        let claims = Claims {
            sub: principal.subject.clone(),
            role: principal.role,
            county: principal.county.clone(),
            team: principal.team.clone(),
            duty: principal.duty,
            institution: principal.institution.clone(),
            iat: now,
            exp: now.saturating_add(ttl_seconds),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|_| TokenError::Invalid)
    }

    /// The principal of a valid, unexpired token.
    pub fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        let claims =
            jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).map_err(|_| TokenError::Invalid)?.claims;
        let principal = Principal {
            subject: claims.sub,
            role: claims.role,
            county: claims.county,
            team: claims.team,
            duty: claims.duty,
            institution: claims.institution,
        };
        check_complete(&principal)?;
        Ok(principal)
    }
}

/// Each role names what policies look at: county roles a county, team roles
/// a team too, and a resident's subject is their resident id.
fn check_complete(p: &Principal) -> Result<(), TokenError> {
    if p.role == Role::Plugin {
        return Err(TokenError::PluginToken);
    }
    let (needs_county, needs_team) = p.role.needs();
    let missing = if needs_county && p.county.is_none() {
        Some("--county")
    } else if needs_team && p.team.is_none() {
        Some("--team")
    } else if p.role.needs_institution() && p.institution.is_none() {
        Some("--institution")
    } else if p.duty.is_some() && p.role != Role::TeamMember {
        Some("no --duty: only team members have one")
    } else if p.institution.is_some() && !p.role.needs_institution() {
        Some("no --institution: only hospital staff name one")
    } else {
        None
    };
    match missing {
        Some(missing) => Err(TokenError::Incomplete { role: crate::serde_name(&p.role), missing }),
        None => Ok(()),
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member() -> Principal {
        Principal {
            subject: "doctor-li".into(),
            role: Role::TeamMember,
            county: Some("320322".into()),
            team: Some("team-anguo-1".into()),
            duty: Some(MemberRole::GpLeader),
            institution: None,
        }
    }

    #[test]
    fn a_token_round_trips_to_its_principal() {
        let keys = TokenKeys::from_secret(&[7; 32]);
        let token = keys.issue(&member(), now(), 60).unwrap();
        assert_eq!(keys.verify(&token).unwrap(), member());
    }

    #[test]
    fn another_secret_expiry_and_tampering_are_refused() {
        let keys = TokenKeys::from_secret(&[7; 32]);
        let token = keys.issue(&member(), now(), 60).unwrap();
        assert!(matches!(TokenKeys::from_secret(&[8; 32]).verify(&token), Err(TokenError::Invalid)));
        let expired = keys.issue(&member(), now() - 120, 60).unwrap();
        assert!(matches!(keys.verify(&expired), Err(TokenError::Invalid)));
        let mut tampered = token.clone();
        tampered.insert(tampered.len() / 2, 'x');
        assert!(matches!(keys.verify(&tampered), Err(TokenError::Invalid)));
    }

    #[test]
    fn incomplete_principals_get_no_token() {
        let keys = TokenKeys::from_secret(&[7; 32]);
        let no_team = Principal { team: None, ..member() };
        let error = keys.issue(&no_team, now(), 60).unwrap_err();
        assert_eq!(error.to_string(), "a token for role `team_member` needs --team");
        let no_county = Principal { role: Role::Inspector, county: None, team: None, duty: None, ..member() };
        assert_eq!(
            keys.issue(&no_county, now(), 60).unwrap_err().to_string(),
            "a token for role `inspector` needs --county"
        );
        let duty = Principal { role: Role::VillageDoctor, ..member() };
        assert!(keys.issue(&duty, now(), 60).is_err(), "only team members have a duty");
        let plugin = Principal::plugin("320322");
        assert!(matches!(keys.issue(&plugin, now(), 60), Err(TokenError::PluginToken)));
    }

    #[test]
    fn the_secret_file_is_made_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let token = TokenKeys::from_data_dir(dir.path()).unwrap().issue(&member(), now(), 60).unwrap();
        assert_eq!(TokenKeys::from_data_dir(dir.path()).unwrap().verify(&token).unwrap(), member());
    }

    fn now() -> u64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
    }
}
