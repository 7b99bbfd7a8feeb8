//! The base64 flavours of Clerk's formats.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_encode_padding(false)
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);

/// URL-safe alphabet, padding optional: JWT segments, JWK members.
pub(crate) const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// Standard alphabet, padding optional: publishable keys, PEM bodies, webhook secrets.
pub(crate) const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);

/// Appends a URL-safe segment, decoded, to `out`. The canonical unpadded
/// form every JWT uses is decoded with SIMD; any other (padding, trailing
/// bits set, a bad character) goes through [`URL_SAFE`], which decides, so
/// the answer is always `URL_SAFE`'s.
pub(crate) fn decode_url_safe(
    segment: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), base64::DecodeError> {
    if base64_simd::URL_SAFE_NO_PAD
        .decode_append(segment, out)
        .is_ok()
    {
        return Ok(());
    }
    use base64::Engine as _;
    URL_SAFE.decode_vec(segment, out)
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    use super::*;

    #[test]
    fn simd_decoding_answers_as_the_lenient_engine() {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ .";
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for _ in 0..50_000 {
            let len = next(80);
            // Mostly the URL-safe alphabet, sometimes another character.
            let segment: Vec<u8> = (0..len)
                .map(|_| {
                    alphabet[if next(10) == 0 {
                        next(alphabet.len())
                    } else {
                        next(64)
                    }]
                })
                .collect();
            let mut out = b"kept".to_vec();
            let ours = decode_url_safe(&segment, &mut out).map(|()| out);
            let reference = URL_SAFE
                .decode(&segment)
                .map(|bytes| [&b"kept"[..], &bytes].concat());
            assert_eq!(
                ours.ok(),
                reference.ok(),
                "{}",
                String::from_utf8_lossy(&segment)
            );
        }
    }
}
