//! Opening event-log files: plain, or compressed the way Spark writes them.
//!
//! Spark's codecs are not all the standard container formats:
//! - `.lz4` is lz4-java's `LZ4BlockOutputStream`: blocks of
//!   `"LZ4Block"`, a method/level byte, compressed and original lengths and a
//!   checksum (little-endian), then the block; an empty block ends a stream.
//! - `.snappy` is snappy-java's `SnappyOutputStream`: a 16-byte header
//!   (`0x82 "SNAPPY" 0`, version, compatible version), then chunks of a
//!   big-endian length and a raw snappy block.
//! - `.zstd` / `.zst` are standard zstd frames; `.gz` is gzip.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

/// Compression of one file, from its suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Plain,
    Gzip,
    Zstd,
    Lz4,
    Snappy,
}

impl Codec {
    /// The codec a file's suffix names; anything else is plain text.
    pub fn from_path(path: &Path) -> Codec {
        // Spark writes `app.zstd.inprogress` until the application ends.
        let path = match path.extension().and_then(|e| e.to_str()) {
            Some("inprogress") => path.file_stem().map(Path::new).unwrap_or(path),
            _ => path,
        };
        match path.extension().and_then(|e| e.to_str()) {
            Some("gz") => Codec::Gzip,
            Some("zstd" | "zst") => Codec::Zstd,
            Some("lz4") => Codec::Lz4,
            Some("snappy") => Codec::Snappy,
            _ => Codec::Plain,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Codec::Plain => "plain text",
            Codec::Gzip => "gzip",
            Codec::Zstd => "zstd",
            Codec::Lz4 => "lz4 (Spark LZ4Block)",
            Codec::Snappy => "snappy (snappy-java)",
        }
    }

    fn magic_ok(self, head: &[u8]) -> bool {
        match self {
            Codec::Plain => true,
            Codec::Gzip => head.starts_with(&[0x1f, 0x8b]),
            Codec::Zstd => head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]),
            Codec::Lz4 => head.starts_with(b"LZ4Block"),
            Codec::Snappy => head.starts_with(b"\x82SNAPPY\x00"),
        }
    }
}

fn detect(head: &[u8]) -> Option<Codec> {
    [Codec::Gzip, Codec::Zstd, Codec::Lz4, Codec::Snappy]
        .into_iter()
        .find(|c| c.magic_ok(head))
}

/// Opens a file as decompressed lines. A suffix that does not match the
/// data (a `.zstd` that is not zstd, a plain name on compressed data) is an
/// error that says so.
pub fn open(path: &Path) -> io::Result<Box<dyn BufRead + Send>> {
    decode(path, File::open(path)?)
}

/// Decompressed lines of `raw`, a file's bytes from wherever they are
/// stored (a local file, an S3 object), with `name` giving the codec by its
/// suffix as [`open`] does.
pub fn decode(name: &Path, raw: impl Read + Send + 'static) -> io::Result<Box<dyn BufRead + Send>> {
    let codec = Codec::from_path(name);
    let mut raw = BufReader::with_capacity(1 << 20, raw);
    let head = raw
        .fill_buf()?
        .get(..8)
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    if !head.is_empty() && !codec.magic_ok(&head) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "the suffix says {} but the data does not start like it{}; is the suffix right?",
                codec.name(),
                detect(&head)
                    .map(|c| format!(" (it looks like {})", c.name()))
                    .unwrap_or_default()
            ),
        ));
    }
    // EMR Serverless writes `events_<n>_<jobRunId>` with no suffix
    // (FACTS.md section 11) and its codec is not documented: a file named
    // without a suffix is read by what its first bytes say it is.
    let codec = match codec {
        Codec::Plain => detect(&head).unwrap_or(Codec::Plain),
        c => c,
    };
    let cap = 1 << 20;
    Ok(match codec {
        Codec::Plain => Box::new(raw),
        Codec::Gzip => Box::new(BufReader::with_capacity(
            cap,
            flate2::read::MultiGzDecoder::new(raw),
        )),
        Codec::Zstd => Box::new(BufReader::with_capacity(
            cap,
            zstd::stream::read::Decoder::with_buffer(raw)?,
        )),
        Codec::Lz4 => Box::new(BufReader::with_capacity(cap, Lz4Block::new(raw))),
        Codec::Snappy => Box::new(BufReader::with_capacity(cap, SnappyJava::new(raw))),
    })
}

fn read_exact_or_eof(r: &mut impl Read, buf: &mut [u8]) -> io::Result<bool> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = r.read(&mut buf[filled..])?;
        if n == 0 {
            if filled == 0 {
                return Ok(false);
            }
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the compressed stream is cut short",
            ));
        }
        filled += n;
    }
    Ok(true)
}

/// Decoder for lz4-java's block stream.
pub struct Lz4Block<R> {
    inner: R,
    block: Vec<u8>,
    pos: usize,
}

impl<R: Read> Lz4Block<R> {
    pub fn new(inner: R) -> Self {
        Lz4Block {
            inner,
            block: Vec::new(),
            pos: 0,
        }
    }

    /// Loads the next non-empty block; `false` at the end of the data.
    fn next_block(&mut self) -> io::Result<bool> {
        loop {
            let mut header = [0u8; 21];
            if !read_exact_or_eof(&mut self.inner, &mut header)? {
                return Ok(false);
            }
            if &header[..8] != b"LZ4Block" {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "bad LZ4Block magic",
                ));
            }
            let method = header[8] & 0xf0;
            let compressed =
                u32::from_le_bytes([header[9], header[10], header[11], header[12]]) as usize;
            let original =
                u32::from_le_bytes([header[13], header[14], header[15], header[16]]) as usize;
            if original > 256 << 20 || compressed > 256 << 20 {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "LZ4Block block too large",
                ));
            }
            let mut data = vec![0u8; compressed];
            if !read_exact_or_eof(&mut self.inner, &mut data)? && compressed > 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the compressed stream is cut short",
                ));
            }
            if original == 0 {
                continue; // end-of-stream marker; another stream may follow
            }
            self.block = match method {
                0x10 => data,
                0x20 => lz4_flex::block::decompress(&data, original)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("lz4: {e}")))?,
                _ => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "unknown LZ4Block method",
                    ))
                }
            };
            self.pos = 0;
            return Ok(true);
        }
    }
}

impl<R: Read> Read for Lz4Block<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.block.len() && !self.next_block()? {
            return Ok(0);
        }
        Ok(serve(&self.block, &mut self.pos, buf))
    }
}

/// Copies what is left of a decoded block into `buf`.
fn serve(block: &[u8], pos: &mut usize, buf: &mut [u8]) -> usize {
    let n = buf.len().min(block.len() - *pos);
    buf[..n].copy_from_slice(&block[*pos..*pos + n]);
    *pos += n;
    n
}

/// Decoder for snappy-java's stream format.
pub struct SnappyJava<R> {
    inner: R,
    header_read: bool,
    block: Vec<u8>,
    pos: usize,
}

impl<R: Read> SnappyJava<R> {
    pub fn new(inner: R) -> Self {
        SnappyJava {
            inner,
            header_read: false,
            block: Vec::new(),
            pos: 0,
        }
    }

    fn next_block(&mut self) -> io::Result<bool> {
        if !self.header_read {
            let mut header = [0u8; 16];
            if !read_exact_or_eof(&mut self.inner, &mut header)? {
                return Ok(false);
            }
            if &header[..8] != b"\x82SNAPPY\x00" {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "bad snappy-java header",
                ));
            }
            self.header_read = true;
        }
        loop {
            let mut len = [0u8; 4];
            if !read_exact_or_eof(&mut self.inner, &mut len)? {
                return Ok(false);
            }
            // A second stream may be concatenated: its header starts 0x82.
            if len[0] == 0x82 {
                let mut rest = [0u8; 12];
                read_exact_or_eof(&mut self.inner, &mut rest)?;
                continue;
            }
            let len = u32::from_be_bytes(len) as usize;
            if len > 256 << 20 {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "snappy chunk too large",
                ));
            }
            let mut data = vec![0u8; len];
            if !read_exact_or_eof(&mut self.inner, &mut data)? && len > 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the compressed stream is cut short",
                ));
            }
            if len == 0 {
                continue;
            }
            self.block = snap::raw::Decoder::new()
                .decompress_vec(&data)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("snappy: {e}")))?;
            self.pos = 0;
            return Ok(true);
        }
    }
}

impl<R: Read> Read for SnappyJava<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.block.len() && !self.next_block()? {
            return Ok(0);
        }
        Ok(serve(&self.block, &mut self.pos, buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lz4_block_stream_round_trip() {
        let text = b"{\"Event\":\"SparkListenerLogStart\"}\n".repeat(50);
        let compressed = lz4_flex::block::compress(&text);
        let mut stream = Vec::new();
        for (method, body, original) in [
            (0x20u8, &compressed[..], text.len()),
            (0x10, &b"raw\n"[..], 4),
            (0x10, &b""[..], 0),
        ] {
            stream.extend_from_slice(b"LZ4Block");
            stream.push(method);
            stream.extend_from_slice(&(body.len() as u32).to_le_bytes());
            stream.extend_from_slice(&(original as u32).to_le_bytes());
            stream.extend_from_slice(&0u32.to_le_bytes());
            stream.extend_from_slice(body);
        }
        let mut out = Vec::new();
        Lz4Block::new(&stream[..]).read_to_end(&mut out).unwrap();
        let mut expected = text.clone();
        expected.extend_from_slice(b"raw\n");
        assert_eq!(out, expected);
        let err = Lz4Block::new(&stream[..30])
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(err.to_string().contains("cut short"), "{err}");
    }

    #[test]
    fn snappy_java_stream_round_trip() {
        let text = b"line one\nline two\n".repeat(20);
        let mut stream = b"\x82SNAPPY\x00".to_vec();
        stream.extend_from_slice(&1u32.to_be_bytes());
        stream.extend_from_slice(&1u32.to_be_bytes());
        let block = snap::raw::Encoder::new().compress_vec(&text).unwrap();
        stream.extend_from_slice(&(block.len() as u32).to_be_bytes());
        stream.extend_from_slice(&block);
        let mut out = Vec::new();
        SnappyJava::new(&stream[..]).read_to_end(&mut out).unwrap();
        assert_eq!(out, text);
    }
}
