//! Backend-independent checks of the [`Storage`] contract, each on a fresh, empty store. A
//! backend runs all of them with `conformance::suite!(expr)` in its test module, where `expr`
//! (evaluated inside an async test) gives `(guard, storage)`; the guard lives as long as the
//! test, e.g. a temporary directory.

use std::time::Duration;

use futures::StreamExt;
use tokio::time::timeout;

use super::{
    Event, EventKind, KeyValue, ListPage, Notification, Storage, StorageError, WatchStream,
};

/// How long any check waits for events before failing.
pub const TIMEOUT: Duration = Duration::from_secs(20);
/// How long a watch must stay quiet to show that it has no more events.
const QUIET: Duration = Duration::from_millis(200);

macro_rules! suite {
    ($open:expr) => {
        $crate::storage::conformance::suite!(
            @checks $open;
            writes_and_preconditions,
            list_pages_and_prefixes,
            list_at_past_revisions,
            compaction,
            watch_replays_then_follows,
            watch_started_during_writes,
            slow_watch_gets_every_event
        );
    };
    (@checks $open:expr; $($check:ident),*) => {$(
        #[tokio::test(flavor = "multi_thread")]
        async fn $check() {
            let (_guard, storage) = $open;
            $crate::storage::conformance::$check(&storage).await;
        }
    )*};
}
pub(crate) use suite;

pub async fn writes_and_preconditions(s: &dyn Storage) {
    let base = s.current_revision().await.unwrap();
    let a1 = s.create("/w/a", b"1".to_vec()).await.unwrap();
    assert_eq!(kv("/w/a", "1", base + 1, base + 1), a1);
    assert_eq!(s.current_revision().await.unwrap(), base + 1);
    assert_eq!(
        s.create("/w/a", b"x".to_vec()).await,
        Err(StorageError::AlreadyExists("/w/a".into()))
    );

    let a2 = s
        .update("/w/a", b"2".to_vec(), a1.mod_revision)
        .await
        .unwrap();
    assert_eq!(kv("/w/a", "2", base + 1, base + 2), a2);
    let conflict = Err(StorageError::Conflict {
        key: "/w/a".into(),
        current: Some(Box::new(a2.clone())),
    });
    assert_eq!(
        s.update("/w/a", b"3".to_vec(), a1.mod_revision).await,
        conflict
    );
    assert_eq!(s.delete("/w/a", Some(a1.mod_revision)).await, conflict);
    assert_eq!(s.get("/w/a").await.unwrap(), Some(a2.clone()));

    let not_found = Err(StorageError::NotFound("/w/missing".into()));
    assert_eq!(s.update("/w/missing", Vec::new(), 1).await, not_found);
    assert_eq!(s.delete("/w/missing", None).await, not_found);
    assert_eq!(s.delete("/w/missing", Some(1)).await, not_found);

    let deleted = s.delete("/w/a", Some(a2.mod_revision)).await.unwrap();
    assert_eq!(kv("/w/a", "2", base + 1, base + 3), deleted);
    assert_eq!(s.get("/w/a").await.unwrap(), None);
    assert_eq!(
        s.update("/w/a", Vec::new(), deleted.mod_revision).await,
        Err(StorageError::NotFound("/w/a".into()))
    );
    let again = s.create("/w/a", b"4".to_vec()).await.unwrap();
    assert_eq!(kv("/w/a", "4", base + 4, base + 4), again);

    // Keys and values are opaque; an empty value is a value, not a deletion.
    let odd = s.create("/w/ünï cødé\t", Vec::new()).await.unwrap();
    assert_eq!(s.get("/w/ünï cødé\t").await.unwrap(), Some(odd));
    let binary = s.create("/w/bin", vec![0, 255, 0]).await.unwrap();
    assert_eq!(s.get("/w/bin").await.unwrap(), Some(binary));
    // Failed writes did not take a revision.
    assert_eq!(s.current_revision().await.unwrap(), base + 6);
}

pub async fn list_pages_and_prefixes(s: &dyn Storage) {
    for key in [
        "/a/3", "/a/1", "/ab/x", "/a/2", "/b/1", "/a/5", "/a/4", "/a",
    ] {
        s.create(key, key.as_bytes().to_vec()).await.unwrap();
    }
    let current = s.current_revision().await.unwrap();

    let all = s.list("/a/", None, None, None).await.unwrap();
    assert_eq!(keys(&all), ["/a/1", "/a/2", "/a/3", "/a/4", "/a/5"]);
    assert!(all.items.iter().all(|kv| kv.value == kv.key.as_bytes()));
    assert_eq!((all.revision, all.remaining), (current, 0));

    let page = s.list("/a/", None, None, Some(2)).await.unwrap();
    assert_eq!((keys(&page), page.remaining), (vec!["/a/1", "/a/2"], 3));
    // Later pages read at the first page's revision do not see newer writes.
    s.create("/a/6", Vec::new()).await.unwrap();
    let page = s
        .list("/a/", Some(page.revision), Some("/a/2"), Some(2))
        .await
        .unwrap();
    assert_eq!((keys(&page), page.remaining), (vec!["/a/3", "/a/4"], 1));
    let page = s
        .list("/a/", Some(page.revision), Some("/a/4"), Some(2))
        .await
        .unwrap();
    assert_eq!((keys(&page), page.remaining), (vec!["/a/5"], 0));

    let page = s.list("/a/", None, Some("/a"), Some(1)).await.unwrap();
    assert_eq!((keys(&page), page.remaining), (vec!["/a/1"], 5));
    let page = s.list("/a/", None, Some("/a/9"), None).await.unwrap();
    assert_eq!((keys(&page), page.remaining), (Vec::<&str>::new(), 0));
    let page = s.list("/a/", None, None, Some(0)).await.unwrap();
    assert_eq!((keys(&page), page.remaining), (Vec::<&str>::new(), 6));

    // Keys alone: the same keys at the same revisions, page for page.
    for (after, limit) in [(None, None), (Some("/a/2"), Some(2)), (None, Some(0))] {
        let full = s.list("/a/", Some(current), after, limit).await.unwrap();
        let bare = s
            .list_keys("/a/", Some(current), after, limit)
            .await
            .unwrap();
        let revisions = |page: &ListPage| {
            let items = page.items.iter();
            items
                .map(|kv| (kv.key.clone(), kv.mod_revision))
                .collect::<Vec<_>>()
        };
        assert_eq!(revisions(&bare), revisions(&full));
        assert_eq!(
            (bare.revision, bare.remaining),
            (full.revision, full.remaining)
        );
    }

    let ab = s.list("/ab/", None, None, None).await.unwrap();
    assert_eq!(keys(&ab), ["/ab/x"]);
    assert!(
        s.list("/c/", None, None, None)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(s.list("", None, None, None).await.unwrap().items.len(), 9);
}

pub async fn list_at_past_revisions(s: &dyn Storage) {
    let base = s.current_revision().await.unwrap();
    let k1 = s.create("/p/k1", b"1".to_vec()).await.unwrap();
    let k1b = s
        .update("/p/k1", b"2".to_vec(), k1.mod_revision)
        .await
        .unwrap();
    let k2 = s.create("/p/k2", b"3".to_vec()).await.unwrap();
    s.delete("/p/k1", None).await.unwrap();
    let k1c = s.create("/p/k1", b"4".to_vec()).await.unwrap();

    for (revision, expected) in [
        (base, vec![]),
        (base + 1, vec![k1]),
        (base + 2, vec![k1b.clone()]),
        (base + 3, vec![k1b, k2.clone()]),
        (base + 4, vec![k2.clone()]),
        (base + 5, vec![k1c.clone(), k2.clone()]),
    ] {
        let page = s.list("/p/", Some(revision), None, None).await.unwrap();
        assert_eq!((page.items, page.revision), (expected, revision));
    }
    let page = s.list("/p/", None, None, None).await.unwrap();
    assert_eq!((page.items, page.revision), (vec![k1c, k2], base + 5));
    assert_eq!(
        s.list("/p/", Some(base + 6), None, None).await,
        Err(StorageError::FutureRevision {
            requested: base + 6,
            current: base + 5
        })
    );
}

pub async fn compaction(s: &dyn Storage) {
    let base = s.current_revision().await.unwrap();
    let a1 = s.create("/c/a", b"1".to_vec()).await.unwrap();
    s.create("/c/b", b"1".to_vec()).await.unwrap();
    let a2 = s
        .update("/c/a", b"2".to_vec(), a1.mod_revision)
        .await
        .unwrap();
    s.delete("/c/b", None).await.unwrap();
    let compacted = base + 4;
    s.compact(compacted).await.unwrap();
    assert_eq!(s.compacted_revision().await.unwrap(), compacted);

    let d1 = s.create("/c/d", b"1".to_vec()).await.unwrap();
    let a_deleted = s.delete("/c/a", None).await.unwrap();
    let d2 = s
        .update("/c/d", b"2".to_vec(), d1.mod_revision)
        .await
        .unwrap();

    let too_old = StorageError::Compacted {
        requested: compacted - 1,
        compacted,
    };
    assert_eq!(
        s.list("/c/", Some(compacted - 1), None, None).await,
        Err(too_old.clone())
    );
    assert_eq!(s.watch("/c/", compacted - 1).await.err(), Some(too_old));
    let at = |revision| async move {
        s.list("/c/", Some(revision), None, None)
            .await
            .unwrap()
            .items
    };
    assert_eq!(at(compacted).await, vec![a2.clone()]);
    assert_eq!(at(compacted + 1).await, [a2.clone(), d1.clone()]);
    assert_eq!(at(compacted + 3).await, vec![d2.clone()]);

    // The versions from before the compaction that later events refer to are still there.
    let mut watch = s.watch("/c/", compacted).await.unwrap();
    assert_eq!(
        next_events(&mut watch, 3).await,
        [put(&d1, None), delete(&a_deleted, &a2), put(&d2, Some(&d1))]
    );

    s.compact(compacted - 1).await.unwrap();
    assert_eq!(s.compacted_revision().await.unwrap(), compacted);
    let current = s.current_revision().await.unwrap();
    assert_eq!(
        s.compact(current + 1).await,
        Err(StorageError::FutureRevision {
            requested: current + 1,
            current
        })
    );
    s.compact(current).await.unwrap();
    assert_eq!(at(current).await, vec![d2.clone()]);
    assert_eq!(s.get("/c/d").await.unwrap(), Some(d2));
    assert_eq!(s.get("/c/a").await.unwrap(), None);
}

pub async fn watch_replays_then_follows(s: &dyn Storage) {
    let base = s.current_revision().await.unwrap();
    let x1 = s.create("/w/x", b"1".to_vec()).await.unwrap();
    s.create("/wx/y", Vec::new()).await.unwrap();
    let x2 = s
        .update("/w/x", b"2".to_vec(), x1.mod_revision)
        .await
        .unwrap();
    let x_deleted = s.delete("/w/x", None).await.unwrap();

    let mut from_start = s.watch("/w/", base).await.unwrap();
    let mut from_middle = s.watch("/w/", base + 1).await.unwrap();
    let mut from_now = s.watch("/w/", base + 4).await.unwrap();
    assert_eq!(
        next_events(&mut from_start, 3).await,
        [put(&x1, None), put(&x2, Some(&x1)), delete(&x_deleted, &x2)]
    );

    let z1 = s.create("/w/z", b"1".to_vec()).await.unwrap();
    s.create("/wx/q", Vec::new()).await.unwrap();
    let z2 = s
        .update("/w/z", b"2".to_vec(), z1.mod_revision)
        .await
        .unwrap();
    let live = [put(&z1, None), put(&z2, Some(&z1))];
    assert_eq!(next_events(&mut from_start, 2).await, live);
    assert_eq!(next_events(&mut from_now, 2).await, live);
    assert_eq!(
        next_events(&mut from_middle, 4).await,
        [
            put(&x2, Some(&x1)),
            delete(&x_deleted, &x2),
            live[0].clone(),
            live[1].clone()
        ]
    );
    // Nothing else arrived: the next event is the next write, and then no more.
    let z3 = s
        .update("/w/z", b"3".to_vec(), z2.mod_revision)
        .await
        .unwrap();
    for watch in [&mut from_start, &mut from_middle, &mut from_now] {
        assert_eq!(next_events(watch, 1).await, [put(&z3, Some(&z2))]);
    }
    assert_no_more_events([&mut from_start, &mut from_middle, &mut from_now]).await;
}

/// Concurrent writes get consecutive revisions, and watches, whether started while they go on
/// or read while they go on, get every one of them once, in order.
pub async fn watch_started_during_writes(s: &dyn Storage) {
    const WRITERS: u8 = 3;
    const WRITES: u8 = 20;
    let base = s.current_revision().await.unwrap();
    let writer = |w: u8| async move {
        let mut written = Vec::new();
        for i in 0..WRITES {
            let kv = s.create(&format!("/r/{w}/{i:02}"), vec![w, i]).await;
            written.push(put(&kv.unwrap(), None));
        }
        written
    };
    let start_watches = async {
        let mut watches = Vec::new();
        for _ in 0..20 {
            let after = s.current_revision().await.unwrap();
            watches.push((after, s.watch("/r/", after).await.unwrap()));
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        watches
    };
    // Read while the writes go on, so that it mostly gets live events.
    let follow = async {
        let mut watch = s.watch("/r/", base).await.unwrap();
        let events = next_events(&mut watch, usize::from(WRITERS * WRITES)).await;
        (watch, events)
    };
    let (written, mut watches, (followed, followed_events)) = tokio::join!(
        futures::future::join_all((0..WRITERS).map(writer)),
        start_watches,
        follow
    );

    let mut written: Vec<_> = written.into_iter().flatten().collect();
    written.sort_by_key(|event| event.kv.mod_revision);
    let revisions: Vec<_> = written.iter().map(|event| event.kv.mod_revision).collect();
    let count = u64::from(WRITERS * WRITES);
    assert_eq!(revisions, (base + 1..=base + count).collect::<Vec<_>>());
    assert_eq!(followed_events, written);
    for (after, watch) in &mut watches {
        let expected = &written[usize::try_from(*after - base).unwrap()..];
        assert_eq!(next_events(watch, expected.len()).await, expected);
    }

    watches.push((base, followed));
    let end = s.create("/r/end", Vec::new()).await.unwrap();
    for (_, watch) in &mut watches {
        assert_eq!(next_events(watch, 1).await, [put(&end, None)]);
    }
    assert_no_more_events(watches.iter_mut().map(|(_, watch)| watch)).await;
}

/// A watch that is not read while many writes happen still gets all of them, in order.
pub async fn slow_watch_gets_every_event(s: &dyn Storage) {
    let base = s.current_revision().await.unwrap();
    let mut watch = s.watch("/s/", base).await.unwrap();
    let mut expected = Vec::new();
    for i in 0..100 {
        let kv = s.create(&format!("/s/{i}"), Vec::new()).await.unwrap();
        expected.push(put(&kv, None));
        s.create(&format!("/t/{i}"), Vec::new()).await.unwrap();
    }
    assert_eq!(next_events(&mut watch, expected.len()).await, expected);
    let end = s.create("/s/end", Vec::new()).await.unwrap();
    assert_eq!(next_events(&mut watch, 1).await, [put(&end, None)]);
    assert_no_more_events([&mut watch]).await;
}

/// The next `count` events of `watch`, past any progress reports; fails if it ends, errs or
/// stalls first.
pub async fn next_events(watch: &mut WatchStream, count: usize) -> Vec<Event> {
    let collect = async {
        let mut events = Vec::with_capacity(count);
        while events.len() < count {
            match watch.next().await.expect("watch ended").unwrap() {
                Notification::Event(event) => events.push(event),
                Notification::Progress(_) => {}
            }
        }
        events
    };
    timeout(TIMEOUT, collect)
        .await
        .expect("timed out waiting for events")
}

/// Fails if any of `watches` yields anything but progress reports within [`QUIET`].
pub async fn assert_no_more_events(watches: impl IntoIterator<Item = &mut WatchStream>) {
    let next = watches.into_iter().map(|watch| async move {
        let event = async {
            loop {
                match watch.next().await {
                    Some(Ok(Notification::Progress(_))) => {}
                    other => return other,
                }
            }
        };
        timeout(QUIET, event).await
    });
    let next = futures::future::join_all(next).await;
    assert!(next.iter().all(Result::is_err), "unexpected: {next:?}");
}

fn kv(key: &str, value: &str, create_revision: u64, mod_revision: u64) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: value.into(),
        create_revision,
        mod_revision,
    }
}

fn keys(page: &ListPage) -> Vec<&str> {
    page.items.iter().map(|kv| kv.key.as_str()).collect()
}

fn put(kv: &KeyValue, prev: Option<&KeyValue>) -> Event {
    Event {
        kind: EventKind::Put,
        kv: kv.clone(),
        prev: prev.cloned(),
    }
}

/// The event of a delete that returned `deleted`, of a key whose value was `prev`.
fn delete(deleted: &KeyValue, prev: &KeyValue) -> Event {
    Event {
        kind: EventKind::Delete,
        kv: deleted.clone(),
        prev: Some(prev.clone()),
    }
}
