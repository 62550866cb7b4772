//! A real HTTP server on 127.0.0.1 for tests of the download path (no mocks, no network).
//! Compiled only with the `testkit` feature, which test builds switch on.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// What the test server answers for a path.
#[derive(Clone)]
pub enum Reply {
    Body(Vec<u8>),
    Status(u16),
    /// Announces `announced` bytes, sends `body`, then closes the connection.
    Truncated {
        body: Vec<u8>,
        announced: usize,
    },
}

impl Reply {
    /// Announces all of `body`, sends its first `sent` bytes, then closes the connection.
    pub fn cut_short(body: &[u8], sent: usize) -> Reply {
        Reply::Truncated {
            body: body[..sent].to_vec(),
            announced: body.len(),
        }
    }
}

/// A one-thread HTTP/1.1 server that answers at most `max_requests` requests, then stops; it also
/// stops on its own after a few seconds so a failing test cannot hang. Joining it yields the
/// request heads it received.
pub struct TestServer {
    pub base: String,
    handle: JoinHandle<Vec<String>>,
}

impl TestServer {
    pub fn start(routes: Vec<(&str, Reply)>, max_requests: usize) -> Self {
        let routes: HashMap<String, Reply> = routes
            .into_iter()
            .map(|(path, reply)| (path.to_owned(), reply))
            .collect();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let handle = thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(20);
            let mut heads = Vec::new();
            while heads.len() < max_requests && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => heads.push(serve(stream, &routes)),
                    Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {
                        thread::sleep(Duration::from_millis(5))
                    }
                    Err(err) => panic!("accept failed: {err}"),
                }
            }
            heads
        });
        Self { base, handle }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn requests(self) -> Vec<String> {
        self.handle.join().expect("server thread panicked")
    }
}

fn serve(mut stream: TcpStream, routes: &HashMap<String, Reply>) -> String {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let reply = routes.get(&path).cloned().unwrap_or(Reply::Status(404));
    let (status, body, announced) = match reply {
        Reply::Body(body) => (200, body.clone(), body.len()),
        Reply::Status(status) => (status, b"no such file\n".to_vec(), 13),
        Reply::Truncated { body, announced } => (200, body, announced),
    };
    let reason = if status == 200 { "OK" } else { "Not Found" };
    let header = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Length: {announced}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n"
    );
    // The client may hang up early (that is what some tests provoke), so write errors are fine.
    let _ = stream.write_all(header.as_bytes());
    let _ = stream.write_all(&body);
    let _ = stream.flush();
    head
}
