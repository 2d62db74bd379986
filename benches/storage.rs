//! Storage throughput, the embedded store beside a real single-member etcd, measured in one
//! run so that the ratios hold on a noisy machine: `cargo bench --bench storage`.
//! (etcd must be on the PATH, as for the tests.)

#[path = "../tests/common/etcd.rs"]
mod etcd;

use std::sync::Arc;
use std::time::{Duration, Instant};

use aggregated_apiserver::storage::{
    EmbeddedStorage, EtcdConfig, EtcdStorage, Storage, StorageError,
};
use futures::StreamExt;
use futures::future::join_all;

/// Objects written, listed and watched per backend.
const OBJECTS: usize = 1_000;
/// About the size of a stored Foo with its managedFields.
const VALUE_BYTES: usize = 1_024;
/// Concurrent writers.
const WRITERS: usize = 16;
/// Full lists read.
const LISTS: usize = 50;

/// One measurement: what was done, how many times, in how long.
struct Rate {
    what: &'static str,
    count: usize,
    took: Duration,
}

impl Rate {
    fn per_second(&self) -> f64 {
        self.count as f64 / self.took.as_secs_f64()
    }
}

async fn timed<F: Future<Output = ()>>(what: &'static str, count: usize, work: F) -> Rate {
    let start = Instant::now();
    work.await;
    Rate {
        what,
        count,
        took: start.elapsed(),
    }
}

fn value() -> Vec<u8> {
    vec![b'x'; VALUE_BYTES]
}

/// Increments a counter kept in `key` by compare-and-swap, retrying on conflicts, as the
/// registry does for `bar`.
async fn increment(storage: &dyn Storage, key: &str) {
    loop {
        let current = storage.get(key).await.unwrap().unwrap();
        let count: u64 = std::str::from_utf8(&current.value)
            .unwrap()
            .parse()
            .unwrap();
        let next = (count + 1).to_string().into_bytes();
        match storage.update(key, next, current.mod_revision).await {
            Ok(_) => return,
            Err(StorageError::Conflict { .. }) => continue,
            Err(e) => panic!("{e}"),
        }
    }
}

async fn measure(storage: Arc<dyn Storage>) -> Vec<Rate> {
    let s = storage.as_ref();
    let base = s.current_revision().await.unwrap();
    let mut rates = Vec::new();

    rates.push(
        timed("sequential creates", OBJECTS, async {
            for i in 0..OBJECTS {
                s.create(&format!("/b/{i:05}"), value()).await.unwrap();
            }
        })
        .await,
    );

    let updates_per_writer = OBJECTS / WRITERS;
    rates.push(
        timed(
            "concurrent updates, own keys",
            updates_per_writer * WRITERS,
            async {
                join_all((0..WRITERS).map(|w| async move {
                    for i in 0..updates_per_writer {
                        let key = format!("/b/{:05}", w * updates_per_writer + i);
                        let current = s.get(&key).await.unwrap().unwrap();
                        s.update(&key, value(), current.mod_revision).await.unwrap();
                    }
                }))
                .await;
            },
        )
        .await,
    );

    s.create("/c/counter", b"0".to_vec()).await.unwrap();
    let increments_per_writer = 25;
    rates.push(
        timed(
            "contended increments, one key",
            increments_per_writer * WRITERS,
            async {
                join_all((0..WRITERS).map(|_| async {
                    for _ in 0..increments_per_writer {
                        increment(s, "/c/counter").await;
                    }
                }))
                .await;
            },
        )
        .await,
    );

    rates.push(
        timed("full lists", LISTS, async {
            for _ in 0..LISTS {
                let page = s.list("/b/", None, None, None).await.unwrap();
                assert_eq!(page.items.len(), OBJECTS);
            }
        })
        .await,
    );

    let written = (s.current_revision().await.unwrap() - base) as usize;
    rates.push(
        timed("watch replay, events", written, async {
            let mut watch = s.watch("/", base).await.unwrap();
            for _ in 0..written {
                watch.next().await.unwrap().unwrap();
            }
        })
        .await,
    );
    rates
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let embedded: Arc<dyn Storage> =
        Arc::new(EmbeddedStorage::open(&dir.path().join("db.redb")).unwrap());
    let cluster = etcd::EtcdCluster::start(1);
    let config = EtcdConfig {
        endpoints: vec![cluster.endpoint(0)],
        ..Default::default()
    };
    let etcd: Arc<dyn Storage> = Arc::new(EtcdStorage::connect(&config).await.unwrap());

    let embedded = measure(embedded).await;
    let etcd = measure(etcd).await;

    println!(
        "{:<36} {:>14} {:>14} {:>14}",
        "operations per second", "embedded", "etcd", "etcd/embedded"
    );
    for (e, d) in embedded.iter().zip(&etcd) {
        println!(
            "{:<36} {:>14.0} {:>14.0} {:>14.2}",
            format!("{} ({})", e.what, e.count),
            e.per_second(),
            d.per_second(),
            d.per_second() / e.per_second()
        );
    }
}
