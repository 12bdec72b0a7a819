//! `hookwright verify`: check one delivery's Standard Webhooks signature from the command line.
//!
//! Exit codes: 0 valid, 1 invalid (no signature matches, or a header is missing or malformed),
//! 2 timestamp outside the tolerance, 64 usage error (bad flags, unreadable secret, headers or
//! body). Exactly one line on stderr says why.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use hookwright::signature::{
    self, KeyFormat, SignatureError, SigningKey, WHSEC_PREFIX, WebhookHeaders, parse_raw_headers,
};

/// Exit code: the delivery is authentic and fresh.
pub const EXIT_VALID: u8 = 0;
/// Exit code: no signature matches, or a header is missing or malformed.
pub const EXIT_INVALID: u8 = 1;
/// Exit code: the timestamp is outside the tolerance (too old or too new).
pub const EXIT_TIMESTAMP: u8 = 2;
/// Exit code (sysexits `EX_USAGE`): the command line or its inputs are unusable.
pub const EXIT_USAGE: u8 = 64;

/// Verify the signature of one webhook delivery (Standard Webhooks v1, as sent by Mendix).
///
/// Exit status: 0 valid, 1 no signature matches (or a header is missing/malformed),
/// 2 timestamp outside tolerance, 64 usage error.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("secret").required(true).args(["secret_file", "secret_env"])))]
#[command(after_help = "Examples:
  hookwright verify --secret-file secret.txt --id msg_2M605iBQRge9hTgpYg7fKXQubaw \\
      --timestamp 1677072542 --signature 'v1,Ay2s...' --body-file payload.json
  hookwright verify --secret-env MX_SECRET --headers-file request.txt --now 1677072600 < payload.json")]
pub struct VerifyArgs {
    /// File holding the validation secret (a trailing newline is ignored).
    #[arg(long, value_name = "PATH")]
    pub secret_file: Option<PathBuf>,
    /// Environment variable holding the validation secret.
    #[arg(long, value_name = "NAME")]
    pub secret_env: Option<String>,
    /// The `webhook-id` header value.
    #[arg(long, value_name = "ID", required_unless_present = "headers_file", conflicts_with = "headers_file")]
    pub id: Option<String>,
    /// The `webhook-timestamp` header value (epoch seconds).
    #[arg(long, value_name = "EPOCH", required_unless_present = "headers_file", conflicts_with = "headers_file")]
    pub timestamp: Option<String>,
    /// The `webhook-signature` header value: `v1,<base64>`, several separated by spaces.
    #[arg(long, value_name = "LIST", required_unless_present = "headers_file", conflicts_with = "headers_file")]
    pub signature: Option<String>,
    /// Raw HTTP header lines (`Name: value`, e.g. copied from `curl -v` or a request log)
    /// holding webhook-id, webhook-timestamp and webhook-signature.
    #[arg(long, value_name = "PATH")]
    pub headers_file: Option<PathBuf>,
    /// The request body, byte for byte; `-` or absent reads stdin.
    #[arg(long, value_name = "PATH")]
    pub body_file: Option<PathBuf>,
    /// Check the timestamp against this time (epoch seconds) instead of the clock.
    #[arg(long, value_name = "EPOCH", allow_negative_numbers = true)]
    pub now: Option<i64>,
    /// How far the timestamp may be from now, in seconds, either way.
    #[arg(long, value_name = "SECONDS", default_value_t = signature::DEFAULT_TOLERANCE.as_secs())]
    pub tolerance: u64,
    /// How the secret becomes the HMAC key: `raw` (the secret string itself, as Mendix
    /// documents) or `whsec` (Standard Webhooks: base64 after an optional `whsec_` prefix).
    #[arg(long, value_name = "raw|whsec", default_value_t = KeyFormat::Raw)]
    pub key_format: KeyFormat,
}

/// Why the command stopped: exit code and the one line for stderr.
struct Outcome {
    code: u8,
    line: String,
}

fn usage(line: impl Into<String>) -> Outcome {
    Outcome { code: EXIT_USAGE, line: line.into() }
}

/// Runs `hookwright verify`; prints one line on stderr and returns the exit code.
pub fn run(args: VerifyArgs) -> ExitCode {
    let outcome = match evaluate(&args, &mut std::io::stdin().lock()) {
        Ok(o) | Err(o) => o,
    };
    eprintln!("hookwright verify: {}", outcome.line);
    ExitCode::from(outcome.code)
}

fn evaluate(args: &VerifyArgs, stdin: &mut dyn std::io::Read) -> Result<Outcome, Outcome> {
    let (secret, source) = read_secret(args)?;
    let key = SigningKey::from_file_contents(&secret, args.key_format)
        .map_err(|e| usage(format!("cannot use the secret from {source}: {e}")))?;
    let starts_whsec = secret.starts_with(WHSEC_PREFIX.as_bytes());
    drop(secret);

    let header_text;
    let header_pairs;
    let headers = match &args.headers_file {
        Some(path) => {
            header_text = read_file(path, "headers file")?;
            let text = String::from_utf8(header_text)
                .map_err(|_| usage(format!("headers file {}: not UTF-8", path.display())))?;
            header_pairs =
                parse_raw_headers(&text).map_err(|e| usage(format!("headers file {}: {e}", path.display())))?;
            WebhookHeaders::from_pairs(header_pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())))
                .map_err(|e| Outcome { code: EXIT_INVALID, line: format!("invalid: {e}") })?
        }
        None => WebhookHeaders {
            id: args.id.as_deref().unwrap_or_default(),
            timestamp: args.timestamp.as_deref().unwrap_or_default(),
            signature: args.signature.as_deref().unwrap_or_default(),
        },
    };
    let body = match args.body_file.as_deref() {
        Some(p) if p != Path::new("-") => read_file(p, "body file")?,
        _ => {
            let mut buf = Vec::new();
            stdin.read_to_end(&mut buf).map_err(|e| usage(format!("reading the body from stdin: {e}")))?;
            buf
        }
    };

    let now = args.now.unwrap_or_else(signature::unix_now);
    let tolerance = Duration::from_secs(args.tolerance);
    let keys = std::slice::from_ref(&key);
    match signature::verify_headers(keys, &headers, &body, now, tolerance) {
        Ok(v) => Ok(Outcome {
            code: EXIT_VALID,
            line: format!(
                "valid: signature {} of the list matches (key format {}), timestamp {} within {}s of {now}",
                v.signature_index + 1,
                args.key_format,
                v.timestamp,
                args.tolerance
            ),
        }),
        Err(e) if e.is_timestamp() => {
            let sig = match signature::verify_ignoring_timestamp(keys, &headers, &body) {
                Ok(_) => "the signature itself matches",
                Err(_) => "the signature does not match either",
            };
            Err(Outcome { code: EXIT_TIMESTAMP, line: format!("invalid: {e}; {sig}") })
        }
        Err(e) => {
            let hint = match (&e, args.key_format, starts_whsec) {
                (SignatureError::NoMatchingSignature { .. }, KeyFormat::Raw, true) => {
                    " (the secret starts with whsec_: for a Standard Webhooks sender try --key-format whsec)"
                }
                (SignatureError::NoMatchingSignature { .. }, KeyFormat::Whsec, _) => {
                    " (Mendix signs with the secret string itself: try --key-format raw)"
                }
                _ => "",
            };
            Err(Outcome { code: EXIT_INVALID, line: format!("invalid: {e}{hint}") })
        }
    }
}

/// The secret bytes and where they came from (for messages; never the value).
fn read_secret(args: &VerifyArgs) -> Result<(Vec<u8>, String), Outcome> {
    if let Some(path) = &args.secret_file {
        let source = format!("secret file {}", path.display());
        return Ok((read_file(path, "secret file")?, source));
    }
    let name = args.secret_env.as_deref().unwrap_or_default();
    match std::env::var_os(name) {
        Some(v) => Ok((v.into_encoded_bytes(), format!("environment variable {name}"))),
        None => Err(usage(format!("environment variable {name} is not set"))),
    }
}

fn read_file(path: &Path, what: &str) -> Result<Vec<u8>, Outcome> {
    std::fs::read(path).map_err(|e| usage(format!("cannot read {what} {}: {e}", path.display())))
}
