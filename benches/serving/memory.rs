//! Memory of each server holding a number of objects: RSS once they are created, RSS after a
//! restart over them (a cold start), and the peak during one full LIST in each format.

use std::time::Duration;

use tokio::runtime::Runtime;

use crate::load::{Call, Connection, JSON, Protocol};
use crate::measure::{peak_rss, reset_peak, rss};
use crate::results::{ListMemory, Memory};
use crate::scenarios::{METADATA, TABLE};
use crate::servers::Servers;

/// How long a restarted server is left to settle before its RSS is read.
const SETTLE: Duration = Duration::from_secs(2);

/// Measures every writable server reached directly that holds `objects` objects.
pub fn measure(runtime: &Runtime, servers: &mut Servers, objects: usize) -> Vec<Memory> {
    let targets: Vec<_> = servers
        .direct
        .iter()
        .filter(|t| t.endpoint.shape.writable() && t.endpoint.pid.is_some())
        .map(|t| (t.endpoint.name.clone(), t.role))
        .collect();
    let mut measured = Vec::new();
    for (name, role) in targets {
        let pid_of = |servers: &Servers| {
            servers
                .direct
                .iter()
                .find(|t| t.endpoint.name == name)
                .and_then(|t| t.endpoint.pid)
                .expect("a measured server")
        };
        let rss_after_create = rss(pid_of(servers)).unwrap_or(0);
        eprintln!("restarting {name} for its memory at a cold start…");
        servers.restart(&name);
        std::thread::sleep(SETTLE);
        let pid = pid_of(servers);
        let rss_cold = rss(pid).unwrap_or(0);
        let endpoint = servers
            .direct
            .iter()
            .find(|t| t.endpoint.name == name)
            .map(|t| t.endpoint.clone())
            .expect("a measured server");
        let mut lists = Vec::new();
        for (format, accept) in [("JSON", JSON), ("Table", TABLE), ("metadata", METADATA)] {
            let rss_before = rss(pid).unwrap_or(0);
            reset_peak(pid);
            let call = Call::get(endpoint.collection.clone(), accept);
            let answer = runtime.block_on(async {
                let connection = Connection::open(&endpoint, Protocol::Http2).await?;
                connection.send(&call).await?.ok(&call)
            });
            match answer {
                Ok(body) => lists.push(ListMemory {
                    format,
                    response_bytes: body.len() as u64,
                    rss_before,
                    peak: peak_rss(pid).unwrap_or(0),
                }),
                Err(error) => eprintln!("LIST as {format} on {name}: {error:#}"),
            }
        }
        measured.push(Memory {
            server: name,
            role,
            objects,
            rss_after_create,
            rss_cold,
            lists,
        });
    }
    measured
}
