//! Spark event logs read straight from S3: `s3://bucket/prefix` listed
//! (ListObjectsV2, paged), grouped into applications like a local folder
//! (`input::eventlog::group_names`), and each object streamed through the
//! same decoders as a local file, so memory stays flat whatever the size.
//!
//! The reading side is synchronous (the parser reads a `BufRead` on a
//! rayon thread); each object's body is pulled chunk by chunk from the
//! async SDK with the runtime's handle. A body cut off mid-way is asked
//! for again from where it stopped (a `Range` request, `If-Match` the
//! listed ETag, so a changed object is an error, not a spliced log).

use std::collections::HashMap;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Mutex;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use tokio::runtime::Handle;

use super::emr_serverless::{describe, with_iam_action};
use crate::input::eventlog::{group_names, LogSource, PathProblem, Skipped};

/// Times a cut-off body is asked for again before the file is an error.
const BODY_RETRIES: u32 = 3;

/// `s3://bucket/prefix`, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    pub bucket: String,
    pub key: String,
}

impl S3Url {
    /// Parses `s3://bucket[/key]`; `None` for anything not starting `s3://`.
    pub fn parse(text: &str) -> Option<Result<S3Url, String>> {
        // Hadoop's s3a:// and s3n:// name the same objects.
        let scheme_end = text.find("://")?;
        if !["s3", "s3a", "s3n"].contains(&text[..scheme_end].to_ascii_lowercase().as_str()) {
            return None;
        }
        let rest = &text[scheme_end + 3..];
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        // Bucket names: 3-63 of lowercase letters, digits, '.', '-'.
        let valid = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
        Some(if valid {
            Ok(S3Url {
                bucket: bucket.to_string(),
                key: key.to_string(),
            })
        } else {
            Err(format!(
                "{text}: {bucket:?} is not an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens)"
            ))
        })
    }

    fn name(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }
}

/// One listed object: its size and ETag, for reading it back exactly.
#[derive(Debug, Clone)]
struct Listed {
    size: u64,
    etag: Option<String>,
}

/// What a listing found.
#[derive(Debug, Default)]
pub struct Found {
    pub sources: Vec<LogSource>,
    pub problems: Vec<PathProblem>,
    pub skipped: Skipped,
    pub objects: usize,
    pub bytes: u64,
}

/// S3 access for one import: a client per bucket (a bucket outside the
/// configured region gets a client of its own region), and what the
/// listing found about each object.
pub struct S3Logs {
    config: aws_config::SdkConfig,
    handle: Handle,
    clients: Mutex<HashMap<String, Client>>,
    listed: Mutex<HashMap<String, Listed>>,
}

impl S3Logs {
    pub fn new(config: aws_config::SdkConfig, handle: Handle) -> S3Logs {
        S3Logs {
            config,
            handle,
            clients: Mutex::new(HashMap::new()),
            listed: Mutex::new(HashMap::new()),
        }
    }

    fn client_in(&self, region: Option<&str>) -> Client {
        let mut b = aws_sdk_s3::config::Builder::from(&self.config);
        // An endpoint of one's own (the emulator, MinIO) serves buckets as
        // paths, not as host names.
        if self.config.endpoint_url().is_some() {
            b = b.force_path_style(true);
        }
        // S3 names buckets globally: with no region configured, ask
        // us-east-1, which redirects to the bucket's own.
        match (region, self.config.region()) {
            (Some(r), _) => b = b.region(aws_sdk_s3::config::Region::new(r.to_string())),
            (None, None) => b = b.region(aws_sdk_s3::config::Region::new("us-east-1")),
            (None, Some(_)) => {}
        }
        Client::from_conf(b.build())
    }

    fn client(&self, bucket: &str) -> Client {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        clients
            .entry(bucket.to_string())
            .or_insert_with(|| self.client_in(None))
            .clone()
    }

    /// Lists every URL and groups what it holds into applications. A URL
    /// names one object, or a prefix taken as a folder (`s3://b/logs`
    /// holds `logs/...`, not `logs-old/...`).
    pub async fn discover(&self, urls: &[S3Url]) -> Found {
        let mut found = Found::default();
        for url in urls {
            let mut names = Vec::new();
            match self.list(url).await {
                Ok(objects) if objects.is_empty() => found.problems.push(PathProblem {
                    path: url.name(&url.key),
                    message: "no objects there (check the bucket and prefix)".into(),
                }),
                Ok(objects) => {
                    let mut listed = self.listed.lock().unwrap_or_else(|e| e.into_inner());
                    for (key, l) in objects {
                        let name = url.name(&key);
                        if listed.contains_key(&name) {
                            continue;
                        }
                        found.objects += 1;
                        found.bytes += l.size;
                        listed.insert(name.clone(), l);
                        names.push(name);
                    }
                }
                Err(message) => found.problems.push(PathProblem {
                    path: url.name(&url.key),
                    message,
                }),
            }
            // Each URL is its own folder: the sparklogs/ rule applies within it.
            let (sources, skipped) = group_names(names);
            found.sources.extend(sources);
            found.skipped.bookkeeping += skipped.bookkeeping;
            found.skipped.not_event_logs += skipped.not_event_logs;
        }
        found
    }

    async fn list(&self, url: &S3Url) -> Result<Vec<(String, Listed)>, String> {
        match self.list_with(&self.client(&url.bucket), url).await {
            Err(Moved(Some(region))) => {
                // The bucket lives elsewhere: ask there, and keep that client.
                let client = self.client_in(Some(&region));
                self.clients
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(url.bucket.clone(), client.clone());
                self.list_with(&client, url).await.map_err(|m| m.message())
            }
            other => other.map_err(|m| m.message()),
        }
    }

    async fn list_with(
        &self,
        client: &Client,
        url: &S3Url,
    ) -> Result<Vec<(String, Listed)>, ListError> {
        let folder = if url.key.is_empty() || url.key.ends_with('/') {
            url.key.clone()
        } else {
            format!("{}/", url.key)
        };
        let mut out = Vec::new();
        let mut pages = client
            .list_objects_v2()
            .bucket(&url.bucket)
            .prefix(&url.key)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                let region = e
                    .raw_response()
                    .and_then(|r| r.headers().get("x-amz-bucket-region"))
                    .map(str::to_string);
                if region.is_some() && e.raw_response().is_some_and(|r| r.status().as_u16() == 301)
                {
                    return Moved(region);
                }
                ListError::Failed(with_iam_action(
                    format!("ListObjectsV2 on {}: {}", url.bucket, describe(&e)),
                    "s3:ListBucket",
                ))
            })?;
            for o in page.contents() {
                let Some(key) = o.key() else { continue };
                // The object itself, or what is in the folder it names.
                if key != url.key && !key.starts_with(&folder) {
                    continue;
                }
                out.push((
                    key.to_string(),
                    Listed {
                        size: o.size().unwrap_or(0).max(0) as u64,
                        etag: o.e_tag().map(str::to_string),
                    },
                ));
            }
        }
        Ok(out)
    }

    /// Opens a listed object (named `s3://bucket/key`) for reading. Call it
    /// from a thread that is not the runtime's (a rayon worker).
    pub fn open(&self, name: &Path) -> io::Result<Box<dyn Read + Send>> {
        let text = name.to_string_lossy();
        let url = match S3Url::parse(&text) {
            Some(Ok(u)) => u,
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "not an s3:// name",
                ))
            }
        };
        let listed = self
            .listed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(text.as_ref())
            .cloned()
            .unwrap_or(Listed {
                size: u64::MAX,
                etag: None,
            });
        Ok(Box::new(ObjectReader {
            client: self.client(&url.bucket),
            handle: self.handle.clone(),
            url,
            listed,
            pos: 0,
            body: None,
            chunk: bytes::Bytes::new(),
            retries: 0,
        }))
    }
}

enum ListError {
    Moved(Option<String>),
    Failed(String),
}
use ListError::Moved;

impl ListError {
    fn message(self) -> String {
        match self {
            Moved(region) => format!(
                "the bucket is in another region ({}) and could not be read there",
                region.as_deref().unwrap_or("unknown")
            ),
            ListError::Failed(m) => m,
        }
    }
}

/// One object's body as a `Read`, pulled a chunk at a time.
struct ObjectReader {
    client: Client,
    handle: Handle,
    url: S3Url,
    listed: Listed,
    /// Bytes handed out so far.
    pos: u64,
    body: Option<ByteStream>,
    chunk: bytes::Bytes,
    retries: u32,
}

impl ObjectReader {
    fn request(&mut self) -> io::Result<ByteStream> {
        let mut get = self
            .client
            .get_object()
            .bucket(&self.url.bucket)
            .key(&self.url.key);
        if self.pos > 0 {
            get = get.range(format!("bytes={}-", self.pos));
        }
        if let Some(etag) = &self.listed.etag {
            get = get.if_match(etag);
        }
        let out = self.handle.block_on(get.send()).map_err(|e| {
            let message = describe(&e);
            let message = if message.contains("PreconditionFailed") {
                "the object changed while it was read (its ETag is not the one listed); import it again".to_string()
            } else if message.to_ascii_lowercase().contains("kms") {
                format!("GetObject: {message}; the object is encrypted with a KMS key: the IAM policy must allow kms:Decrypt on it")
            } else {
                with_iam_action(format!("GetObject: {message}"), "s3:GetObject")
            };
            io::Error::other(message)
        })?;
        // A store that ignores Range answers with the whole object: reading
        // on would splice the log.
        if self.pos > 0
            && !out
                .content_range()
                .is_some_and(|r| r.starts_with(&format!("bytes {}-", self.pos)))
        {
            return Err(io::Error::other(format!(
                "the store did not resume the object at byte {} (no matching Content-Range); not read further",
                self.pos
            )));
        }
        Ok(out.body)
    }
}

impl Read for ObjectReader {
    /// Fills `buf` from as many chunks as it takes (or to the end), so a
    /// reader's first fill holds the magic bytes the codec is told by.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.read_chunk(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if filled == 0 => return Err(e),
                // Hand out what was read; the error comes back next call.
                Err(_) => break,
            }
        }
        Ok(filled)
    }
}

impl ObjectReader {
    fn read_chunk(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if !self.chunk.is_empty() {
                let n = buf.len().min(self.chunk.len());
                buf[..n].copy_from_slice(&self.chunk[..n]);
                let _ = self.chunk.split_to(n);
                self.pos += n as u64;
                return Ok(n);
            }
            if self.pos >= self.listed.size || buf.is_empty() {
                return Ok(0);
            }
            if self.body.is_none() {
                self.body = Some(self.request()?);
            }
            let next = match self.body.as_mut() {
                Some(body) => self.handle.block_on(body.next()),
                None => None,
            };
            match next {
                Some(Ok(bytes)) => self.chunk = bytes,
                // The end: where the listing said, or the size was unknown.
                None if self.listed.size == u64::MAX => return Ok(0),
                None | Some(Err(_)) if self.retries < BODY_RETRIES => {
                    // Cut off: ask again from here.
                    self.retries += 1;
                    self.body = None;
                }
                None => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "the object ended at byte {} of {} after {BODY_RETRIES} retries",
                            self.pos, self.listed.size
                        ),
                    ))
                }
                Some(Err(e)) => {
                    return Err(io::Error::other(format!(
                        "reading the object failed at byte {} after {BODY_RETRIES} retries: {e}",
                        self.pos
                    )))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_bucket_and_key() {
        let u = S3Url::parse("s3://my-logs/emr/j-1/sparklogs/")
            .unwrap()
            .unwrap();
        assert_eq!(u.bucket, "my-logs");
        assert_eq!(u.key, "emr/j-1/sparklogs/");
        let u = S3Url::parse("s3://my-logs").unwrap().unwrap();
        assert_eq!(u.key, "");
        assert!(S3Url::parse("/tmp/logs").is_none());
        assert!(S3Url::parse("https://x/y").is_none());
        let u = S3Url::parse("s3a://my-logs/a").unwrap().unwrap();
        assert_eq!((u.bucket.as_str(), u.key.as_str()), ("my-logs", "a"));
        assert!(S3Url::parse("S3://my-logs/a").unwrap().is_ok());
        let e = S3Url::parse("s3://My_Bucket/x").unwrap().unwrap_err();
        assert!(e.contains("\"My_Bucket\" is not an S3 bucket name"), "{e}");
    }
}
