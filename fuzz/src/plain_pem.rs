//! The PEM texts on which rustls-pki-types (the reader `ingress-kube`
//! uses) and the `pem` crate must read the same blocks, and where those
//! blocks are.
//!
//! The two readers frame blocks differently. rustls-pki-types reads lines
//! (ended by `\n` or by `\r`): a block starts at a line that starts with
//! `-----BEGIN `, ends at a line that starts with `-----END <label>-----`,
//! a `-----BEGIN ` line inside a block starts it again (keeping the base64
//! read so far), and blocks of labels it does not know are skipped unread.
//! `pem` searches the bytes: `-----BEGIN ` anywhere, the label up to the
//! next `-----`, the body up to the next `-----END `; a blank line in the
//! body ends RFC 1421 headers (whose lines must hold a `:`); a block that
//! fails to decode fails the whole text; an unterminated one is dropped.
//! Their base64 differs too: `pem` wants canonical base64 (padding, zero
//! trailing bits), rustls-pki-types takes missing padding and non-zero
//! trailing bits.
//!
//! On a *plain* text the framings coincide, so the two must agree block
//! for block, up to base64 canonicity ([`is_canonical_base64`]). A text is
//! plain when, its lines cut at `\n` and at `\r`:
//!
//! - every line holding `-----` is a frame line: `-----BEGIN L-----` or
//!   `-----END L-----`, followed by nothing but spaces and tabs, where `L`
//!   is upper-case letters and digits in words of one space (the labels of
//!   RFC 7468), so neither reader can take a frame for another;
//! - frames pair up, BEGIN then END of the same label, never nested, and
//!   the text ends outside a block;
//! - a body holds base64 symbols, `=` and ASCII whitespace only (both
//!   readers skip the whitespace), and, read as `pem` reads it (from the end
//!   of the BEGIN frame, leading spaces and line ends skipped), no blank
//!   line (`\n\n` or `\r\n\r\n`), which `pem` would take for the end of
//!   headers.
//!
//! Text outside blocks is free (any bytes, not UTF-8 too), as long as it
//! holds no `-----`.

/// The standard base64 alphabet, in the order of the values.
pub const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The ASCII whitespace rustls-pki-types skips in base64; `pem` skips
/// these too (they are all `char::is_whitespace`).
fn is_base64_space(byte: u8) -> bool {
    matches!(byte, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ')
}

/// One block of a plain text.
#[derive(Debug, Clone, Copy)]
pub struct Block<'a> {
    /// Its label.
    pub label: &'a [u8],
    /// From the first byte of its BEGIN frame to the last `-` of its END
    /// frame: a text `pem::parse` reads as this block alone.
    pub text: &'a [u8],
    /// The lines between its frames.
    pub body: &'a [u8],
}

/// The blocks of `text` when it is plain (see the module docs), in order;
/// `None` when it is not.
pub fn plain_blocks(text: &[u8]) -> Option<Vec<Block<'_>>> {
    let mut blocks = Vec::new();
    // The open block: its label, where its BEGIN frame starts, where its
    // body starts, and where `pem` starts reading its body.
    let mut open: Option<(&[u8], usize, usize, usize)> = None;
    let mut start = 0;
    while start <= text.len() {
        let end = text
            .get(start..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\n' || b == b'\r'))
            .map_or(text.len(), |at| start + at);
        let line = text.get(start..end)?;
        let next = end + 1;
        match (frame(line), open) {
            (Some(Frame::Begin(label)), None) => {
                let after_dashes = start + "-----BEGIN ".len() + label.len() + "-----".len();
                open = Some((label, start, next.min(text.len()), after_dashes));
            }
            (Some(Frame::End(label)), Some((open_label, begin, body, pem_body))) if label == open_label => {
                let pem_view = text.get(pem_body..start)?;
                let skipped = pem_view
                    .iter()
                    .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
                    .count();
                let pem_view = pem_view.get(skipped..)?;
                if contains(pem_view, b"\n\n") || contains(pem_view, b"\r\n\r\n") {
                    return None;
                }
                let text_end = start + "-----END ".len() + label.len() + "-----".len();
                blocks.push(Block {
                    label,
                    text: text.get(begin..text_end)?,
                    body: text.get(body.min(start)..start)?,
                });
                open = None;
            }
            (Some(_), _) => return None,
            (None, _) if contains(line, b"-----") => return None,
            (None, Some(_))
                if !line
                    .iter()
                    .all(|&b| ALPHABET.contains(&b) || b == b'=' || is_base64_space(b)) =>
            {
                return None;
            }
            (None, _) => {}
        }
        start = next;
    }
    open.is_none().then_some(blocks)
}

enum Frame<'a> {
    Begin(&'a [u8]),
    End(&'a [u8]),
}

/// A frame line, exactly: `-----BEGIN L-----` or `-----END L-----` with
/// an RFC 7468 label, then spaces and tabs only.
fn frame(line: &[u8]) -> Option<Frame<'_>> {
    let trimmed = line.len() - line.iter().rev().take_while(|b| matches!(b, b' ' | b'\t')).count();
    let line = line.get(..trimmed)?.strip_suffix(b"-----")?;
    let word = |w: &[u8]| !w.is_empty() && w.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    let label_ok = |label: &[u8]| label.split(|&b| b == b' ').all(word);
    if let Some(label) = line.strip_prefix(b"-----BEGIN ") {
        label_ok(label).then_some(Frame::Begin(label))
    } else {
        let label = line.strip_prefix(b"-----END ")?;
        label_ok(label).then_some(Frame::End(label))
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// Whether `body` (ASCII whitespace aside) is canonical standard base64:
/// a multiple of four symbols, `=` only as the padding of the last group,
/// and the unused bits of the last symbol before the padding zero. The
/// base64 `pem` reads with refuses anything else; rustls-pki-types takes
/// missing padding and non-zero trailing bits.
pub fn is_canonical_base64(body: &[u8]) -> bool {
    let symbols: Vec<u8> = body.iter().copied().filter(|&b| !is_base64_space(b)).collect();
    let padding = symbols.iter().rev().take_while(|&&b| b == b'=').count();
    let data = symbols.get(..symbols.len() - padding).unwrap_or_default();
    if !symbols.len().is_multiple_of(4) || padding > 2 || data.contains(&b'=') {
        return false;
    }
    let last = data
        .last()
        .and_then(|&symbol| ALPHABET.iter().position(|&a| a == symbol));
    match (padding, last) {
        (0, _) => true,
        (1, Some(value)) => value & 0b11 == 0,
        (2, Some(value)) => value & 0b1111 == 0,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_texts_and_their_blocks() {
        let text = b"junk \xff\n-----BEGIN CERTIFICATE-----\r\nAAAA\r\n QUJD\t\n-----END CERTIFICATE----- \n\
                     -----BEGIN X509 CRL-----\n-----END X509 CRL-----";
        let blocks = plain_blocks(text).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].label, b"CERTIFICATE");
        // The BEGIN line ends at its `\r`: the body starts with the `\n`.
        assert_eq!(blocks[0].body, b"\nAAAA\r\n QUJD\t\n");
        assert!(blocks[0].text.ends_with(b"-----END CERTIFICATE-----"));
        assert_eq!(pem::parse(blocks[0].text).unwrap().contents(), b"\0\0\0ABC");
        assert_eq!(blocks[1].body, b"");
    }

    #[test]
    fn texts_that_are_not_plain() {
        for text in [
            &b"x-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"[..],
            b"-----BEGIN CERTIFICATE-----\nAAAA\n",
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END X509 CRL-----\n",
            b"-----BEGIN CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            b"-----BEGIN CERTIFICATE-----\nAAAA\n\nAAAA\n-----END CERTIFICATE-----\n",
            b"-----BEGIN CERTIFICATE-----\r\nAAAA\r\n\r\n-----END CERTIFICATE-----\r\n",
            b"-----BEGIN CERTIFICATE-----\nAA:A\n-----END CERTIFICATE-----\n",
            b"-----BEGIN CERTIFICATE------\nAAAA\n-----END CERTIFICATE-----\n",
            b"-----BEGIN certificate-----\nAAAA\n-----END certificate-----\n",
            b"-----BEGIN CERTIFICATE -----\nAAAA\n-----END CERTIFICATE -----\n",
            b"-----END CERTIFICATE-----\n",
            b"-----\n",
        ] {
            assert!(plain_blocks(text).is_none(), "{}", text.escape_ascii());
        }
        // Blank lines before the body are what `pem` skips.
        assert!(plain_blocks(b"-----BEGIN A-----\n\n\nAAAA\n-----END A-----").is_some());
    }

    #[test]
    fn canonical_base64() {
        for canonical in [&b""[..], b"AAAA", b"QQ==", b"QUI=", b"QU\nI=\r\n"] {
            assert!(is_canonical_base64(canonical), "{}", canonical.escape_ascii());
        }
        for not in [&b"QQ"[..], b"QR==", b"QUJ=", b"A===", b"AA=A", b"AAAAA"] {
            assert!(!is_canonical_base64(not), "{}", not.escape_ascii());
        }
    }
}
