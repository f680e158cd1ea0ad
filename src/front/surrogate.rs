//! Paths that are not UTF-8 in JSON: each byte that is not part of valid
//! UTF-8 travels as `\udc80`..`\udcff`, the lone surrogates Python's
//! `surrogateescape` uses (`os.fsencode(value)` gives the bytes back). The
//! one codec of the Rust side: the report's JSON writes with [`encode`], the
//! request's JSON reads with [`decode`]. (lua/pycache.lua has its own pair,
//! in its JSON reader and writer.)

use std::fmt::Write as _;

use crate::text::is_escaped;

/// `bytes` as the body of a JSON string (no quotes): UTF-8 as it is but for
/// `"` and `\`, every character of [`crate::text::ESCAPED`] as `\uXXXX`,
/// and each byte that is not UTF-8 as `\udcXX`.
pub fn encode(bytes: &[u8], out: &mut String) {
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if is_escaped(c) => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\udc{b:02x}");
        }
    }
}

/// The bytes of a JSON string as serde_json hands them over: a lone
/// surrogate comes as its three-byte (WTF-8) encoding, and U+DC80..U+DCFF
/// stand for the bytes 0x80..0xFF; any other surrogate is refused.
pub fn decode(v: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        // A surrogate is ED A0..BF xx: U+D800..U+DFFF.
        if v[i] == 0xED && v.get(i + 1).is_some_and(|b| (0xA0..=0xBF).contains(b)) {
            let (b1, b2) = (v[i + 1], v.get(i + 2).copied().unwrap_or(0));
            if b1 != 0xB2 && b1 != 0xB3 {
                return Err(
                    "a surrogate that stands for no byte (only \\udc80 to \\udcff do)".into(),
                );
            }
            out.push(0x80 | ((b1 & 0x01) << 6) | (b2 & 0x3F));
            i += 3;
        } else {
            out.push(v[i]);
            i += 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_goes_there_and_back() {
        let bytes = b"/a\"b\\c\nd\xff\xc3\xa9\x80";
        let mut json = String::from("\"");
        encode(bytes, &mut json);
        json.push('"');
        assert_eq!(json, r#""/a\"b\\c\u000ad\udcffé\udc80""#);
        // serde_json hands the string to a byte visitor as WTF-8.
        struct Raw(Vec<u8>);
        impl<'de> serde::Deserialize<'de> for Raw {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Raw, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = Raw;
                    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                        f.write_str("a string")
                    }
                    fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Raw, E> {
                        Ok(Raw(v.to_vec()))
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Raw, E> {
                        Ok(Raw(v.as_bytes().to_vec()))
                    }
                }
                d.deserialize_bytes(V)
            }
        }
        let wtf8: Raw = serde_json::from_str(&json).unwrap();
        assert_eq!(decode(&wtf8.0).unwrap(), bytes);
        assert!(decode(b"\xed\xa0\x80").is_err());
    }
}
