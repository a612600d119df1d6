//! PEM text as fuzz input: blocks made of the fixtures' pieces (as they
//! are, mutated, or under another label), in the line ends and line widths
//! PEM writers use, with text between them, then a few byte edits.
//!
//! Raw bytes rarely get past a PEM reader and an X.509 parser to the key
//! check; blocks of real certificates and keys do, and small changes to
//! them reach the corners (a chain in another order, a key of another
//! pair, a block cut short, CRLF, missing padding, a stray line). Each
//! choice's first value (what an exhausted input picks) is the common
//! case.

use arbitrary::{Result, Unstructured};
use pem::{EncodeConfig, LineEnding, Pem};

use crate::plain_pem::ALPHABET;
use crate::tls_fixtures::{self, Piece};

/// Most blocks and text runs in one text, besides the preferred blocks.
const MAX_EXTRA_ITEMS: usize = 3;
/// Most byte edits applied to a finished text.
const MAX_EDITS: usize = 3;

/// Labels a block may carry in place of its own: the other labels the
/// crate's reader knows, some it skips, and near misses.
const LABELS: &[&str] = &[
    "CERTIFICATE",
    "PRIVATE KEY",
    "EC PRIVATE KEY",
    "RSA PRIVATE KEY",
    "X509 CRL",
    "PUBLIC KEY",
    "CERTIFICATE REQUEST",
    "TRUSTED CERTIFICATE",
    "ENCRYPTED PRIVATE KEY",
    "certificate",
    "CERTIFICATE ",
    "",
];

/// Text found around PEM blocks in real files, and pieces of framing.
const BETWEEN: &[&str] = &[
    "",
    "\n",
    "\r\n",
    "Bag Attributes\n    localKeyID: 01 00 00 00\nsubject=/CN=shop.example\nissuer=/CN=Fuzz Test CA\n",
    "# tls.crt\n",
    "\u{feff}",
    "  \t\n",
    "junk",
    "-----",
    "-----END CERTIFICATE-----\n",
    "-----BEGIN CERTIFICATE-----\n",
    "-----BEGIN CERTIFICATE-----",
];

/// Standard base64 of `der`, on one line: the canonical text of a block.
pub fn base64(der: &[u8]) -> String {
    base64_lines(der, usize::MAX).concat()
}

/// Standard base64 of `der`, in lines of `width` (at least 1) characters.
fn base64_lines(der: &[u8], width: usize) -> Vec<String> {
    let config = EncodeConfig::new()
        .set_line_ending(LineEnding::LF)
        .set_line_wrap(width.max(1));
    let text = pem::encode_config(&Pem::new("B", der), config);
    // Between the BEGIN and END lines.
    let lines: Vec<&str> = text.lines().collect();
    lines
        .get(1..lines.len().saturating_sub(1))
        .unwrap_or_default()
        .iter()
        .map(|line| (*line).to_owned())
        .collect()
}

/// True once in `n` (and false on an exhausted input).
pub fn rarely(u: &mut Unstructured<'_>, n: u8) -> Result<bool> {
    Ok(u.int_in_range(0..=n - 1)? == n - 1)
}

/// A PEM text whose first blocks are usually the fixture pieces
/// `preferred` (indices into [`tls_fixtures::pieces`]), in that order.
pub fn pem_text(u: &mut Unstructured<'_>, preferred: &[usize]) -> Result<Vec<u8>> {
    let eol = Eol::arbitrary(u)?;
    let mut out = Vec::new();
    if rarely(u, 8)? {
        out.extend_from_slice(u.choose(BETWEEN)?.as_bytes());
    }
    for &index in preferred {
        if rarely(u, 16)? {
            continue;
        }
        if let Some(piece) = tls_fixtures::pieces().get(index) {
            block(u, &mut out, &eol, piece.clone())?;
        }
    }
    for _ in 0..u.int_in_range(0..=MAX_EXTRA_ITEMS)? {
        match u.int_in_range(0..=7u8)? {
            1 => out.extend_from_slice(u.choose(BETWEEN)?.as_bytes()),
            2 => out.extend_from_slice(u.arbitrary()?),
            3 => out.extend_from_slice(u.choose(&tls_fixtures::files().collect::<Vec<_>>())?.1),
            _ => {
                let piece = u.choose(tls_fixtures::pieces())?.clone();
                block(u, &mut out, &eol, piece)?;
            }
        }
    }
    if rarely(u, 4)? {
        for _ in 0..u.int_in_range(1..=MAX_EDITS)? {
            edit(u, &mut out)?;
        }
    }
    Ok(out)
}

/// The line ends of one text.
enum Eol {
    /// The same everywhere: `\n`, `\r\n` or a lone `\r`.
    Fixed(&'static str),
    /// Each line picks one.
    Mixed,
}

impl Eol {
    fn arbitrary(u: &mut Unstructured<'_>) -> Result<Self> {
        Ok(match u.int_in_range(0..=7u8)? {
            1 | 2 => Self::Fixed("\r\n"),
            3 => Self::Fixed("\r"),
            4 => Self::Mixed,
            _ => Self::Fixed("\n"),
        })
    }

    fn push(&self, u: &mut Unstructured<'_>, out: &mut Vec<u8>) -> Result<()> {
        let eol = match self {
            Self::Fixed(eol) => eol,
            Self::Mixed => *u.choose(&["\n", "\r\n", "\r", "\n\n", " \n"])?,
        };
        out.extend_from_slice(eol.as_bytes());
        Ok(())
    }
}

/// One block: `piece`, perhaps changed, under its label or another, its
/// base64 in lines of some width, framed as PEM writers frame it or
/// nearly so.
fn block(u: &mut Unstructured<'_>, out: &mut Vec<u8>, eol: &Eol, piece: Piece) -> Result<()> {
    let label: String = match u.int_in_range(0..=15u8)? {
        1 => (*u.choose(LABELS)?).to_owned(),
        2 if rarely(u, 4)? => u.arbitrary()?,
        _ => piece.label.to_owned(),
    };
    let der = der(u, piece.der)?;
    let width = match u.int_in_range(0..=7u8)? {
        1 => 76,
        2 => usize::from(u.int_in_range(1..=80u8)?),
        3 => usize::MAX,
        _ => 64,
    };
    let mut lines = base64_lines(&der, width);
    if rarely(u, 8)? {
        // Missing padding, or trailing bits that are not zero: what a
        // lenient writer leaves, and what a strict reader refuses.
        if let Some(last) = lines.last_mut() {
            if last.ends_with('=') && u.arbitrary()? {
                *last = last.trim_end_matches('=').to_owned();
            } else {
                // The last symbol before the padding with its lowest bit
                // flipped.
                let data = last.trim_end_matches('=').len();
                let flipped = last
                    .as_bytes()
                    .get(data.wrapping_sub(1))
                    .and_then(|&symbol| ALPHABET.iter().position(|&a| a == symbol))
                    .and_then(|value| ALPHABET.get(value ^ 1));
                if let Some(&flipped) = flipped {
                    last.replace_range(data - 1..data, &char::from(flipped).to_string());
                }
            }
        }
    }
    let indent = if rarely(u, 16)? {
        *u.choose(&[" ", "\t", "  "])?
    } else {
        ""
    };
    let trailing = if rarely(u, 16)? {
        *u.choose(&[" ", "\t", "-", "x"])?
    } else {
        ""
    };
    let dashes = if rarely(u, 32)? {
        *u.choose(&["----", "------", "- ----"])?
    } else {
        "-----"
    };

    out.extend_from_slice(format!("-----BEGIN {label}{dashes}{trailing}").as_bytes());
    eol.push(u, out)?;
    if rarely(u, 16)? {
        // An encrypted key's headers, and the blank line after them.
        out.extend_from_slice(b"Proc-Type: 4,ENCRYPTED");
        eol.push(u, out)?;
        out.extend_from_slice(b"DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF");
        eol.push(u, out)?;
        eol.push(u, out)?;
    }
    for line in lines {
        out.extend_from_slice(indent.as_bytes());
        out.extend_from_slice(line.as_bytes());
        eol.push(u, out)?;
    }
    if rarely(u, 16)? {
        eol.push(u, out)?;
    }
    out.extend_from_slice(format!("-----END {label}-----{trailing}").as_bytes());
    eol.push(u, out)?;
    Ok(())
}

/// The DER of a block: mostly the piece's own, sometimes cut short, with a
/// byte flipped, with bytes added, or followed by another piece.
fn der(u: &mut Unstructured<'_>, mut der: Vec<u8>) -> Result<Vec<u8>> {
    match u.int_in_range(0..=31u8)? {
        1 => der.truncate(u.int_in_range(0..=der.len())?),
        2 if !der.is_empty() => {
            let at = u.choose_index(der.len())?;
            if let Some(byte) = der.get_mut(at) {
                *byte ^= u.int_in_range(1..=255u8)?;
            }
        }
        3 => der.extend_from_slice(u.arbitrary()?),
        4 => der.extend_from_slice(&u.choose(tls_fixtures::pieces())?.der),
        5 if rarely(u, 4)? => der = u.arbitrary()?,
        _ => {}
    }
    Ok(der)
}

/// One byte edit of the finished text: insert, remove, overwrite, or
/// repeat a range.
fn edit(u: &mut Unstructured<'_>, out: &mut Vec<u8>) -> Result<()> {
    let at = u.int_in_range(0..=out.len())?;
    match u.int_in_range(0..=3u8)? {
        0 => {
            let bytes: &[u8] = u.arbitrary()?;
            out.splice(at..at, bytes.iter().copied());
        }
        1 => {
            let end = u.int_in_range(at..=out.len().min(at + 16))?;
            out.drain(at..end);
        }
        2 => {
            if let Some(byte) = out.get_mut(at) {
                *byte = u.arbitrary()?;
            }
        }
        _ => {
            let end = u.int_in_range(at..=out.len().min(at + 64))?;
            let copy = out.get(at..end).unwrap_or_default().to_vec();
            out.splice(at..at, copy);
        }
    }
    Ok(())
}
