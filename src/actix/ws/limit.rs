//! The message size limit, applied to frame headers as bytes arrive.
//!
//! `actix-http`'s WebSocket codec refuses a frame over its size limit only
//! once the whole frame has arrived, buffering it meanwhile: a client that
//! announces a terabyte and keeps sending would be buffered without bound.
//! [`FrameLimit`] sits under the codec, reads each frame header as it
//! streams by (payloads are skipped, not copied) and ends the stream as soon
//! as a header announces more than the limit.

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use futures_util::Stream;

/// The request body of an upgraded socket, ended with
/// [`PayloadError::Overflow`] (and `oversize` set) at the first frame
/// header over `max` bytes.
pub(super) struct FrameLimit {
    inner: Payload,
    max: u64,
    scan: Scan,
    oversize: Rc<Cell<bool>>,
    done: bool,
}

/// Where the scan is: in a frame header (its bytes so far), or in a payload.
#[derive(Debug, PartialEq, Eq)]
enum Scan {
    Header { bytes: [u8; 14], have: usize },
    Payload { left: u64 },
}

impl FrameLimit {
    pub(super) fn new(inner: Payload, max: usize, oversize: Rc<Cell<bool>>) -> Self {
        Self {
            inner,
            max: u64::try_from(max).unwrap_or(u64::MAX),
            scan: Scan::header(),
            oversize,
            done: false,
        }
    }
}

impl Scan {
    fn header() -> Self {
        Scan::Header {
            bytes: [0; 14],
            have: 0,
        }
    }

    /// Reads `chunk`; `Err` at a header announcing more than `max` bytes.
    fn feed(&mut self, mut chunk: &[u8], max: u64) -> Result<(), ()> {
        while !chunk.is_empty() {
            match self {
                Scan::Payload { left } => {
                    let take = usize::try_from(*left).map_or(chunk.len(), |l| l.min(chunk.len()));
                    chunk = &chunk[take..];
                    *left -= take as u64;
                    if *left == 0 {
                        *self = Scan::header();
                    }
                }
                Scan::Header { bytes, have } => {
                    bytes[*have] = chunk[0];
                    *have += 1;
                    chunk = &chunk[1..];
                    if let Some(len) = payload_len(&bytes[..*have]) {
                        if len > max {
                            return Err(());
                        }
                        *self = if len == 0 {
                            Scan::header()
                        } else {
                            Scan::Payload { left: len }
                        };
                    }
                }
            }
        }
        Ok(())
    }
}

/// The payload length a complete frame header announces; `None` while the
/// header is incomplete.
fn payload_len(header: &[u8]) -> Option<u64> {
    let second = *header.get(1)?;
    let masked = second & 0x80 != 0;
    let (extended, short) = match second & 0x7f {
        126 => (2, None),
        127 => (8, None),
        len => (0, Some(u64::from(len))),
    };
    let needed = 2 + extended + if masked { 4 } else { 0 };
    if header.len() < needed {
        return None;
    }
    short.or_else(|| {
        header[2..2 + extended]
            .iter()
            .try_fold(0u64, |acc, &b| Some(acc << 8 | u64::from(b)))
    })
}

impl Stream for FrameLimit {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        let item = std::task::ready!(Pin::new(&mut this.inner).poll_next(cx));
        if let Some(Ok(bytes)) = &item {
            if this.scan.feed(bytes, this.max).is_err() {
                this.done = true;
                this.oversize.set(true);
                return Poll::Ready(Some(Err(PayloadError::Overflow)));
            }
        }
        Poll::Ready(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(len_bytes: &[u8], masked: bool) -> Vec<u8> {
        let mut out = vec![0x82, len_bytes[0] | if masked { 0x80 } else { 0 }];
        out.extend_from_slice(&len_bytes[1..]);
        if masked {
            out.extend_from_slice(&[1, 2, 3, 4]);
        }
        out
    }

    #[test]
    fn payload_len_short_extended_and_incomplete() {
        assert_eq!(payload_len(&[0x81]), None);
        assert_eq!(payload_len(&frame(&[5], false)), Some(5));
        assert_eq!(payload_len(&frame(&[5], true)), Some(5));
        assert_eq!(payload_len(&frame(&[5], true)[..5]), None);
        assert_eq!(payload_len(&frame(&[126, 1, 0], true)), Some(256));
        assert_eq!(
            payload_len(&frame(&[127, 0, 0, 1, 0, 0, 0, 0, 0], true)),
            Some(1 << 40)
        );
    }

    #[test]
    fn scan_skips_payloads_across_chunks_ok() {
        let mut scan = Scan::header();
        let mut stream = frame(&[126, 0, 200], true);
        stream.extend(std::iter::repeat_n(7u8, 200));
        stream.extend(frame(&[0], true));
        stream.extend(frame(&[3], true));
        stream.extend([1, 2, 3]);
        for chunk in stream.chunks(3) {
            assert_eq!(scan.feed(chunk, 200), Ok(()));
        }
        assert_eq!(scan, Scan::header());
    }

    #[test]
    fn scan_header_over_the_limit_fails() {
        let mut scan = Scan::header();
        let huge = frame(&[127, 0, 0, 1, 0, 0, 0, 0, 0], true);
        // Refused at the header, before any payload byte.
        assert_eq!(scan.feed(&huge[..13], 1024), Ok(()));
        assert_eq!(scan.feed(&huge[13..], 1024), Err(()));
        let mut scan = Scan::header();
        assert_eq!(scan.feed(&frame(&[126, 4, 1], true), 1024), Err(()));
        let mut scan = Scan::header();
        assert_eq!(scan.feed(&frame(&[126, 4, 0], true), 1024), Ok(()));
    }
}
