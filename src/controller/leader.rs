//! Leader election on a `coordination.k8s.io/v1` Lease, as client-go's leaderelection does:
//! one replica holds the Lease and renews it; the others take it over only after they have
//! seen it unchanged for a whole lease duration. Every write carries the resourceVersion it
//! was decided on, so two candidates never both win.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, PostParams};

use super::metrics::Metrics;

/// Timings of the election (client-go's defaults but a 5 s renew period).
#[derive(Clone, Debug)]
pub struct Timings {
    /// How long a holder's lease lasts without renewal.
    pub lease_duration: Duration,
    /// How often the leader renews.
    pub renew_period: Duration,
    /// The leader steps down when it could not renew for this long (shorter than the
    /// lease, so it stops before anyone else may take over).
    pub renew_deadline: Duration,
    /// How often a candidate, or a leader whose renewal failed, tries again.
    pub retry_period: Duration,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            lease_duration: Duration::from_secs(15),
            renew_period: Duration::from_secs(5),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
        }
    }
}

/// What a candidate does about the Lease as it reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// We hold it: renew.
    Renew,
    /// Nobody holds it, or the holder let it expire: take it over.
    Acquire,
    /// Someone else holds it and renewed it within the lease duration: wait.
    Wait { holder: String },
}

/// Decides on a Lease held by `holder` that we have seen unchanged for `unchanged_for`
/// (measured on our own clock since we first saw this version of it, never by comparing
/// the holder's timestamps with our clock).
pub fn decide(
    holder: Option<&str>,
    me: &str,
    unchanged_for: Duration,
    lease_duration: Duration,
) -> Decision {
    match holder.filter(|h| !h.is_empty()) {
        None => Decision::Acquire,
        Some(h) if h == me => Decision::Renew,
        Some(_) if unchanged_for >= lease_duration => Decision::Acquire,
        Some(h) => Decision::Wait {
            holder: h.to_owned(),
        },
    }
}

/// The duration the Lease asks for, or `default` when it names none.
pub fn lease_duration(spec: Option<&LeaseSpec>, default: Duration) -> Duration {
    match spec.and_then(|s| s.lease_duration_seconds) {
        Some(seconds) if seconds > 0 => Duration::from_secs(seconds.unsigned_abs().into()),
        _ => default,
    }
}

/// The spec we write to renew (`previous` is ours) or take over the Lease at `now`.
pub fn claimed(
    previous: Option<&LeaseSpec>,
    me: &str,
    now: Timestamp,
    lease_duration: Duration,
) -> LeaseSpec {
    let previous = previous.cloned().unwrap_or_default();
    let seconds = i32::try_from(lease_duration.as_secs()).unwrap_or(i32::MAX);
    let ours = previous.holder_identity.as_deref() == Some(me);
    let held = previous
        .holder_identity
        .as_deref()
        .is_some_and(|h| !h.is_empty());
    let transitions = previous.lease_transitions.unwrap_or(0);
    LeaseSpec {
        holder_identity: Some(me.to_owned()),
        lease_duration_seconds: Some(seconds),
        acquire_time: if ours {
            previous.acquire_time.clone()
        } else {
            Some(MicroTime(now))
        },
        renew_time: Some(MicroTime(now)),
        lease_transitions: Some(if held && !ours {
            transitions.saturating_add(1)
        } else {
            transitions
        }),
        ..previous
    }
}

/// The spec we write when giving the Lease up on shutdown, so a successor need not wait.
pub fn released(previous: &LeaseSpec, now: Timestamp) -> LeaseSpec {
    LeaseSpec {
        holder_identity: None,
        lease_duration_seconds: Some(1),
        acquire_time: Some(MicroTime(now)),
        renew_time: Some(MicroTime(now)),
        ..previous.clone()
    }
}

/// Where the Lease stands after one round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// We hold it (we acquired or renewed it just now).
    Leading,
    /// Someone else holds it.
    Following { holder: String },
}

/// One candidate: our identity and what we last saw of the Lease.
pub struct Elector {
    api: Api<Lease>,
    name: String,
    identity: String,
    timings: Timings,
    /// The resourceVersion of the Lease as we last saw it, and when we first saw it.
    observed: Option<(String, Instant)>,
}

/// How long one round (a read and a write) may take.
const ROUND_TIMEOUT: Duration = Duration::from_secs(5);

impl Elector {
    pub fn new(api: Api<Lease>, name: &str, identity: &str, timings: Timings) -> Self {
        Elector {
            api,
            name: name.to_owned(),
            identity: identity.to_owned(),
            timings,
            observed: None,
        }
    }

    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// Reads the Lease and acquires or renews it when [`decide`] says so.
    pub async fn try_acquire_or_renew(&mut self) -> Result<Outcome, kube::Error> {
        // A 409 means the Lease changed under us: read it again and decide anew, once.
        for _ in 0..2 {
            let Some(lease) = self.api.get_opt(&self.name).await? else {
                let lease = Lease {
                    metadata: ObjectMeta {
                        name: Some(self.name.clone()),
                        ..ObjectMeta::default()
                    },
                    spec: Some(claimed(
                        None,
                        &self.identity,
                        Timestamp::now(),
                        self.timings.lease_duration,
                    )),
                };
                match self.api.create(&PostParams::default(), &lease).await {
                    Ok(created) => return Ok(self.won(&created)),
                    Err(kube::Error::Api(s)) if s.code == 409 => continue,
                    Err(e) => return Err(e),
                }
            };
            let version = lease.metadata.resource_version.clone().unwrap_or_default();
            let now = Instant::now();
            let first_seen = match &self.observed {
                Some((seen, at)) if *seen == version => *at,
                _ => now,
            };
            self.observed = Some((version, first_seen));
            let spec = lease.spec.as_ref();
            let duration = lease_duration(spec, self.timings.lease_duration);
            let holder = spec.and_then(|s| s.holder_identity.as_deref());
            match decide(holder, &self.identity, now - first_seen, duration) {
                Decision::Wait { holder } => return Ok(Outcome::Following { holder }),
                Decision::Renew | Decision::Acquire => {
                    let mut updated = lease.clone();
                    updated.spec = Some(claimed(
                        spec,
                        &self.identity,
                        Timestamp::now(),
                        self.timings.lease_duration,
                    ));
                    // `updated` carries the resourceVersion just read: the precondition.
                    match self
                        .api
                        .replace(&self.name, &PostParams::default(), &updated)
                        .await
                    {
                        Ok(written) => return Ok(self.won(&written)),
                        Err(kube::Error::Api(s)) if s.code == 409 => continue,
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(Outcome::Following {
            holder: String::from("(changing)"),
        })
    }

    fn won(&mut self, lease: &Lease) -> Outcome {
        let version = lease.metadata.resource_version.clone().unwrap_or_default();
        self.observed = Some((version, Instant::now()));
        Outcome::Leading
    }

    /// Gives the Lease up if we still hold it.
    pub async fn release(&mut self) -> Result<(), kube::Error> {
        let Some(lease) = self.api.get_opt(&self.name).await? else {
            return Ok(());
        };
        let Some(spec) = lease.spec.as_ref() else {
            return Ok(());
        };
        if spec.holder_identity.as_deref() != Some(self.identity.as_str()) {
            return Ok(());
        }
        let mut updated = lease.clone();
        updated.spec = Some(released(spec, Timestamp::now()));
        self.api
            .replace(&self.name, &PostParams::default(), &updated)
            .await?;
        Ok(())
    }
}

/// A future that resolves when the controller should stop.
pub type Stop = Pin<Box<dyn Future<Output = ()> + Send + Sync>>;

/// Runs `lead` while this process holds the Lease, stops it when the Lease is lost (and
/// campaigns again), and releases the Lease when `shutdown` resolves.
pub async fn run<L, F>(
    mut elector: Elector,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()>,
    mut lead: L,
) -> anyhow::Result<()>
where
    L: FnMut(Stop) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    let timings = elector.timings.clone();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tracing::info!(
            identity = elector.identity(),
            lease = elector.name,
            "waiting to become the leader"
        );
        let mut following = None;
        loop {
            match tokio::time::timeout(ROUND_TIMEOUT, elector.try_acquire_or_renew()).await {
                Ok(Ok(Outcome::Leading)) => break,
                Ok(Ok(Outcome::Following { holder })) => {
                    if following.as_ref() != Some(&holder) {
                        tracing::info!(%holder, "the lease is held by another replica");
                        following = Some(holder);
                    }
                }
                Ok(Err(e)) => tracing::warn!("acquiring the lease failed: {e}"),
                Err(_) => tracing::warn!("acquiring the lease timed out"),
            }
            tokio::select! {
                () = &mut shutdown => return Ok(()),
                () = tokio::time::sleep(timings.retry_period) => {}
            }
        }
        tracing::info!(
            identity = elector.identity(),
            "became the leader: starting the controller"
        );
        metrics.leader.store(1, Ordering::Relaxed);
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let mut task = tokio::spawn(lead(Box::pin(async move {
            let _ = stop_rx.await;
        })));
        let mut renewed = Instant::now();
        let mut next = timings.renew_period;
        let ending = loop {
            tokio::select! {
                () = &mut shutdown => break Ending::Shutdown,
                _ = &mut task => break Ending::ControllerEnded,
                () = tokio::time::sleep(next) => {}
            }
            let budget = (renewed + timings.renew_deadline)
                .saturating_duration_since(Instant::now())
                .min(ROUND_TIMEOUT);
            match tokio::time::timeout(budget, elector.try_acquire_or_renew()).await {
                Ok(Ok(Outcome::Leading)) => {
                    renewed = Instant::now();
                    next = timings.renew_period;
                    continue;
                }
                Ok(Ok(Outcome::Following { holder })) => {
                    tracing::warn!(%holder, "lost the lease");
                    break Ending::Lost;
                }
                Ok(Err(e)) => tracing::warn!("renewing the lease failed: {e}"),
                Err(_) => tracing::warn!("renewing the lease timed out"),
            }
            if renewed.elapsed() >= timings.renew_deadline {
                tracing::warn!(
                    "could not renew the lease for {:?}: stepping down",
                    timings.renew_deadline
                );
                break Ending::Lost;
            }
            next = timings.retry_period;
        };
        metrics.leader.store(0, Ordering::Relaxed);
        if !matches!(ending, Ending::ControllerEnded) {
            let _ = stop_tx.send(());
            if tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
        match ending {
            Ending::Lost => tracing::info!("stopped the controller"),
            Ending::Shutdown => {
                match tokio::time::timeout(ROUND_TIMEOUT, elector.release()).await {
                    Ok(Ok(())) => tracing::info!("released the lease"),
                    Ok(Err(e)) => tracing::warn!("releasing the lease failed: {e}"),
                    Err(_) => tracing::warn!("releasing the lease timed out"),
                }
                return Ok(());
            }
            Ending::ControllerEnded => {
                let _ = elector.release().await;
                anyhow::bail!("the controller stopped unexpectedly");
            }
        }
    }
}

enum Ending {
    Shutdown,
    Lost,
    ControllerEnded,
}

/// `<hostname>_<random>`: unique per process, recognisable per pod.
pub fn default_identity() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "foo-controller".to_owned());
    format!("{host}_{}", uuid::Uuid::new_v4())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEASE: Duration = Duration::from_secs(15);

    #[test]
    fn free_lease_is_acquired() {
        assert_eq!(decide(None, "me", Duration::ZERO, LEASE), Decision::Acquire);
        assert_eq!(
            decide(Some(""), "me", Duration::ZERO, LEASE),
            Decision::Acquire
        );
    }

    #[test]
    fn our_lease_is_renewed_even_when_old() {
        assert_eq!(
            decide(Some("me"), "me", Duration::ZERO, LEASE),
            Decision::Renew
        );
        assert_eq!(
            decide(Some("me"), "me", Duration::from_secs(60), LEASE),
            Decision::Renew
        );
    }

    #[test]
    fn held_lease_is_waited_for_until_it_expires() {
        let wait = Decision::Wait {
            holder: "other".into(),
        };
        assert_eq!(decide(Some("other"), "me", Duration::ZERO, LEASE), wait);
        assert_eq!(
            decide(Some("other"), "me", Duration::from_millis(14_999), LEASE),
            wait
        );
        assert_eq!(decide(Some("other"), "me", LEASE, LEASE), Decision::Acquire);
        assert_eq!(
            decide(Some("other"), "me", Duration::from_secs(16), LEASE),
            Decision::Acquire
        );
    }

    #[test]
    fn lease_duration_comes_from_the_lease() {
        let spec = LeaseSpec {
            lease_duration_seconds: Some(1),
            ..LeaseSpec::default()
        };
        assert_eq!(lease_duration(Some(&spec), LEASE), Duration::from_secs(1));
        assert_eq!(lease_duration(None, LEASE), LEASE);
        let zero = LeaseSpec {
            lease_duration_seconds: Some(0),
            ..LeaseSpec::default()
        };
        assert_eq!(lease_duration(Some(&zero), LEASE), LEASE);
    }

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(seconds).unwrap()
    }

    #[test]
    fn acquiring_counts_a_transition_and_renewing_does_not() {
        let new = claimed(None, "me", at(10), LEASE);
        assert_eq!(new.holder_identity.as_deref(), Some("me"));
        assert_eq!(new.lease_duration_seconds, Some(15));
        assert_eq!(new.acquire_time, Some(MicroTime(at(10))));
        assert_eq!(new.lease_transitions, Some(0));

        let renewed = claimed(Some(&new), "me", at(15), LEASE);
        assert_eq!(renewed.acquire_time, Some(MicroTime(at(10))));
        assert_eq!(renewed.renew_time, Some(MicroTime(at(15))));
        assert_eq!(renewed.lease_transitions, Some(0));

        let taken = claimed(Some(&renewed), "other", at(40), LEASE);
        assert_eq!(taken.holder_identity.as_deref(), Some("other"));
        assert_eq!(taken.acquire_time, Some(MicroTime(at(40))));
        assert_eq!(taken.lease_transitions, Some(1));

        let released = released(&taken, at(50));
        assert_eq!(released.holder_identity, None);
        assert_eq!(released.lease_transitions, Some(1));
        assert_eq!(
            decide(
                released.holder_identity.as_deref(),
                "me",
                Duration::ZERO,
                LEASE
            ),
            Decision::Acquire
        );
        // Taking over a released lease is not counted as a transition from a holder.
        let after_release = claimed(Some(&released), "me", at(51), LEASE);
        assert_eq!(after_release.lease_transitions, Some(1));
        assert_eq!(after_release.lease_duration_seconds, Some(15));
    }

    /// A stand-in for kube-apiserver's Lease endpoints (get, create, update with the
    /// resourceVersion precondition) on plain HTTP.
    mod fake {
        use std::sync::{Arc, Mutex};

        use axum::Router;
        use axum::extract::{Path, State};
        use axum::http::StatusCode;
        use axum::response::{IntoResponse, Response};
        use axum::routing::{get, post};
        use k8s_openapi::api::coordination::v1::Lease;

        #[derive(Default)]
        pub struct Leases {
            pub lease: Option<Lease>,
            version: u64,
        }

        type Shared = Arc<Mutex<Leases>>;

        fn json(code: StatusCode, value: &impl serde::Serialize) -> Response {
            let body = serde_json::to_vec(value).unwrap();
            (
                code,
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response()
        }

        fn status(code: StatusCode, reason: &str) -> Response {
            let body = serde_json::json!({
                "kind": "Status", "apiVersion": "v1", "status": "Failure",
                "code": code.as_u16(), "reason": reason, "message": reason,
            });
            json(code, &body)
        }

        fn stored(leases: &mut Leases, mut lease: Lease) -> Response {
            leases.version += 1;
            lease.metadata.resource_version = Some(leases.version.to_string());
            leases.lease = Some(lease.clone());
            json(StatusCode::OK, &lease)
        }

        async fn read(State(leases): State<Shared>) -> Response {
            match &leases.lock().unwrap().lease {
                Some(lease) => json(StatusCode::OK, lease),
                None => status(StatusCode::NOT_FOUND, "NotFound"),
            }
        }

        async fn create(State(leases): State<Shared>, body: axum::body::Bytes) -> Response {
            let lease: Lease = serde_json::from_slice(&body).unwrap();
            let mut leases = leases.lock().unwrap();
            if leases.lease.is_some() {
                return status(StatusCode::CONFLICT, "AlreadyExists");
            }
            stored(&mut leases, lease)
        }

        async fn update(
            State(leases): State<Shared>,
            Path((_, _)): Path<(String, String)>,
            body: axum::body::Bytes,
        ) -> Response {
            let lease: Lease = serde_json::from_slice(&body).unwrap();
            let mut leases = leases.lock().unwrap();
            let current = leases
                .lease
                .as_ref()
                .and_then(|l| l.metadata.resource_version.clone());
            if current.is_none() {
                return status(StatusCode::NOT_FOUND, "NotFound");
            }
            if lease.metadata.resource_version != current {
                return status(StatusCode::CONFLICT, "Conflict");
            }
            stored(&mut leases, lease)
        }

        /// Serves the fake and returns a client for it.
        pub async fn start() -> (Shared, kube::Client) {
            let shared = Shared::default();
            let app = Router::new()
                .route(
                    "/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases",
                    post(create),
                )
                .route(
                    "/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/{name}",
                    get(read).put(update),
                )
                .with_state(shared.clone());
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
            let config = kube::Config::new(url.parse().unwrap());
            (shared, kube::Client::try_from(config).unwrap())
        }
    }

    fn fast() -> Timings {
        Timings {
            lease_duration: Duration::from_millis(600),
            renew_period: Duration::from_millis(100),
            renew_deadline: Duration::from_millis(400),
            retry_period: Duration::from_millis(50),
        }
    }

    fn holder(leases: &std::sync::Mutex<fake::Leases>) -> Option<String> {
        let leases = leases.lock().unwrap();
        leases
            .lease
            .as_ref()?
            .spec
            .as_ref()?
            .holder_identity
            .clone()
    }

    #[tokio::test]
    async fn electors_take_turns_on_a_lease() {
        let (leases, client) = fake::start().await;
        let api: Api<Lease> = Api::namespaced(client, "kube-system");
        let mut a = Elector::new(api.clone(), "foo-controller", "a", fast());
        let mut b = Elector::new(api, "foo-controller", "b", fast());

        assert_eq!(a.try_acquire_or_renew().await.unwrap(), Outcome::Leading);
        let following_a = Outcome::Following { holder: "a".into() };
        assert_eq!(b.try_acquire_or_renew().await.unwrap(), following_a);
        // While a renews, b keeps following, however long it waits.
        for _ in 0..8 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            assert_eq!(a.try_acquire_or_renew().await.unwrap(), Outcome::Leading);
            assert_eq!(b.try_acquire_or_renew().await.unwrap(), following_a);
        }
        // a stops renewing: b takes over only once it has seen the lease unchanged for a
        // whole lease duration.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(b.try_acquire_or_renew().await.unwrap(), following_a);
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(b.try_acquire_or_renew().await.unwrap(), Outcome::Leading);
        assert_eq!(holder(&leases).as_deref(), Some("b"));
        let transitions = leases
            .lock()
            .unwrap()
            .lease
            .as_ref()
            .unwrap()
            .spec
            .as_ref()
            .unwrap()
            .lease_transitions;
        assert_eq!(transitions, Some(1));
        // a sees it has lost.
        assert_eq!(
            a.try_acquire_or_renew().await.unwrap(),
            Outcome::Following { holder: "b".into() }
        );
        // b gives it up: a need not wait.
        b.release().await.unwrap();
        assert_eq!(holder(&leases), None);
        assert_eq!(a.try_acquire_or_renew().await.unwrap(), Outcome::Leading);
        // Releasing a lease held by someone else does nothing.
        b.release().await.unwrap();
        assert_eq!(holder(&leases).as_deref(), Some("a"));
    }

    #[tokio::test]
    async fn racing_candidates_never_both_lead() {
        let (_leases, client) = fake::start().await;
        let api: Api<Lease> = Api::namespaced(client, "kube-system");
        for round in 0..20 {
            let name = format!("lease-{round}");
            let mut electors: Vec<_> = (0..4)
                .map(|i| Elector::new(api.clone(), &name, &format!("e{i}"), fast()))
                .collect();
            let outcomes =
                futures::future::join_all(electors.iter_mut().map(|e| e.try_acquire_or_renew()))
                    .await;
            let leading = outcomes
                .iter()
                .filter(|o| matches!(o, Ok(Outcome::Leading)))
                .count();
            assert!(leading <= 1, "round {round}: {outcomes:?}");
        }
    }

    #[tokio::test]
    async fn run_leads_while_holding_and_releases_on_shutdown() {
        let (leases, client) = fake::start().await;
        let api: Api<Lease> = Api::namespaced(client, "kube-system");
        let elector = Elector::new(api, "foo-controller", "me", fast());
        let metrics = Arc::new(Metrics::default());
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel();
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let mut started_tx = Some(started_tx);
        let mut stopped_tx = Some(stopped_tx);
        let running = tokio::spawn(run(
            elector,
            metrics.clone(),
            async move {
                let _ = shutdown_rx.await;
            },
            move |stop| {
                let started = started_tx.take();
                let stopped = stopped_tx.take();
                async move {
                    let _ = started.map(|s| s.send(()));
                    stop.await;
                    let _ = stopped.map(|s| s.send(()));
                }
            },
        ));
        tokio::time::timeout(Duration::from_secs(5), started_rx)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(metrics.leader.load(Ordering::Relaxed), 1);
        // It keeps the lease across several renewals.
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert_eq!(holder(&leases).as_deref(), Some("me"));
        shutdown_tx.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(5), stopped_rx)
            .await
            .unwrap()
            .unwrap();
        tokio::time::timeout(Duration::from_secs(5), running)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(metrics.leader.load(Ordering::Relaxed), 0);
        assert_eq!(holder(&leases), None, "released");
    }

    async fn next(events: &mut tokio::sync::mpsc::UnboundedReceiver<&'static str>) -> &'static str {
        tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .expect("in time")
            .expect("an event")
    }

    #[tokio::test]
    async fn run_steps_down_when_another_takes_the_lease() {
        let (leases, client) = fake::start().await;
        let api: Api<Lease> = Api::namespaced(client, "kube-system");
        let elector = Elector::new(api, "foo-controller", "me", fast());
        let metrics = Arc::new(Metrics::default());
        let (events_tx, mut events_rx) = tokio::sync::mpsc::unbounded_channel();
        let running = tokio::spawn(run(
            elector,
            metrics.clone(),
            std::future::pending(),
            move |stop| {
                let events = events_tx.clone();
                async move {
                    let _ = events.send("started");
                    stop.await;
                    let _ = events.send("stopped");
                }
            },
        ));
        assert_eq!(next(&mut events_rx).await, "started");
        // Someone else writes itself in as the holder (as a takeover would).
        {
            let mut leases = leases.lock().unwrap();
            let lease = leases.lease.as_mut().unwrap();
            lease.spec.as_mut().unwrap().holder_identity = Some("usurper".into());
            let version: u64 = lease
                .metadata
                .resource_version
                .as_ref()
                .unwrap()
                .parse()
                .unwrap();
            lease.metadata.resource_version = Some((version + 1000).to_string());
        }
        assert_eq!(next(&mut events_rx).await, "stopped");
        assert_eq!(metrics.leader.load(Ordering::Relaxed), 0);
        // Once the usurper stops renewing, it campaigns and leads again.
        assert_eq!(next(&mut events_rx).await, "started");
        assert_eq!(holder(&leases).as_deref(), Some("me"));
        running.abort();
    }
}
