//! One reconcile: bring `status.observedGeneration` and the `Ready` condition of a Foo in line
//! with its spec, writing through `foos/status` with the object's resourceVersion.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use foo_sdk::{Foo, FooStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, PostParams};
use kube::runtime::controller::Action;

use super::metrics::Metrics;

/// The condition the controller keeps.
pub const READY: &str = "Ready";
/// `Ready=True`: an active Foo whose status reflects its spec.
pub const REASON_RECONCILED: &str = "Reconciled";
/// `Ready=False`: a suspended Foo (it refuses bar).
pub const REASON_SUSPENDED: &str = "Suspended";

/// How often an up-to-date Foo is looked at again anyway.
const RESYNC: Duration = Duration::from_secs(300);
/// Writes tried per reconcile when each meets a `409 Conflict`.
const ATTEMPTS: usize = 5;
/// First and longest delay before an object that failed is reconciled again.
const BACKOFF_BASE: Duration = Duration::from_millis(250);
const BACKOFF_MAX: Duration = Duration::from_secs(120);

/// What every reconcile shares.
pub struct Context {
    pub api: Api<Foo>,
    pub metrics: Arc<Metrics>,
    /// Consecutive failures of each Foo, for its backoff; cleared by a success.
    failures: Mutex<HashMap<String, u32>>,
}

impl Context {
    pub fn new(api: Api<Foo>, metrics: Arc<Metrics>) -> Self {
        Context {
            api,
            metrics,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn failures(&self) -> std::sync::MutexGuard<'_, HashMap<String, u32>> {
        self.failures.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn succeeded(&self, name: &str) {
        let mut failures = self.failures();
        if failures.remove(name).is_some() {
            self.metrics
                .backing_off
                .store(failures.len() as i64, Ordering::Relaxed);
        }
    }

    /// Counts a failure of `name` and returns how many in a row it has had.
    fn failed(&self, name: &str) -> u32 {
        let mut failures = self.failures();
        let count = failures.entry(name.to_owned()).or_insert(0);
        *count = count.saturating_add(1);
        let count = *count;
        self.metrics
            .backing_off
            .store(failures.len() as i64, Ordering::Relaxed);
        count
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("writing the status of foo {name}: {source}")]
    Write {
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("reading foo {name}: {source}")]
    Read {
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("foo {name} kept changing: {ATTEMPTS} status writes in a row met 409 Conflict")]
    Conflicts { name: String },
}

/// The status `foo` should have, or `None` when it already has it (nothing to write).
///
/// Only `observedGeneration` and the `Ready` condition are the controller's: every other
/// field (`barCount`, `lastBarTime`, `lastMessage`, other conditions) is kept as read.
/// `lastTransitionTime` is `now` only when the condition's status changes.
pub fn desired_status(foo: &Foo, now: Timestamp) -> Option<FooStatus> {
    let generation = foo.metadata.generation;
    let (status, reason, message) = if foo.spec.suspend {
        (
            "False",
            REASON_SUSPENDED,
            "Foo is suspended: bar is refused until spec.suspend is false",
        )
    } else {
        ("True", REASON_RECONCILED, "Foo is reconciled")
    };
    let current = foo.status.clone().unwrap_or_default();
    let mut desired = current.clone();
    desired.observed_generation = generation;
    let existing = desired.conditions.iter().position(|c| c.type_ == READY);
    let last_transition_time = match existing.map(|i| &desired.conditions[i]) {
        Some(c) if c.status == status => c.last_transition_time.clone(),
        _ => Time(now),
    };
    let ready = Condition {
        type_: READY.to_owned(),
        status: status.to_owned(),
        reason: reason.to_owned(),
        message: message.to_owned(),
        observed_generation: generation,
        last_transition_time,
    };
    match existing {
        Some(i) => desired.conditions[i] = ready,
        None => desired.conditions.push(ready),
    }
    (desired != current).then_some(desired)
}

/// The delay before the `failures`-th consecutive retry: 250 ms doubling up to 2 minutes.
pub fn backoff(failures: u32) -> Duration {
    let exponent = failures.saturating_sub(1).min(16);
    BACKOFF_BASE.saturating_mul(1 << exponent).min(BACKOFF_MAX)
}

fn is_status(error: &kube::Error, code: u16) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == code)
}

/// Keeps the in-flight gauge right however the reconcile ends (also when it is cancelled).
struct InFlight<'a>(&'a Metrics);

impl<'a> InFlight<'a> {
    fn start(metrics: &'a Metrics) -> Self {
        metrics.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(metrics)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

pub async fn reconcile(foo: Arc<Foo>, ctx: Arc<Context>) -> Result<Action, Error> {
    let _in_flight = InFlight::start(&ctx.metrics);
    ctx.metrics.reconciles.fetch_add(1, Ordering::Relaxed);
    let started = Instant::now();
    let name = foo.metadata.name.clone().unwrap_or_default();
    let mut current = foo;
    for _ in 0..ATTEMPTS {
        if current.metadata.deletion_timestamp.is_some() {
            tracing::debug!(foo = %name, "reconcile: being deleted, skipped");
            ctx.succeeded(&name);
            return Ok(Action::await_change());
        }
        let Some(status) = desired_status(&current, Timestamp::now()) else {
            tracing::debug!(
                foo = %name,
                generation = current.metadata.generation,
                elapsed = ?started.elapsed(),
                "reconcile: status up to date"
            );
            ctx.succeeded(&name);
            return Ok(Action::requeue(RESYNC));
        };
        let mut updated = Foo::clone(&current);
        updated.status = Some(status);
        // The resourceVersion read with the object is the write's precondition: a status
        // written meanwhile (bar counting, another writer) makes this a 409, never lost.
        match ctx
            .api
            .replace_status(&name, &write_params(), &updated)
            .await
        {
            Ok(written) => {
                ctx.metrics.status_updates.fetch_add(1, Ordering::Relaxed);
                let ready = ready_condition(&written);
                tracing::info!(
                    foo = %name,
                    generation = written.metadata.generation,
                    ready = ready.map(|c| c.status.as_str()),
                    reason = ready.map(|c| c.reason.as_str()),
                    elapsed = ?started.elapsed(),
                    "reconcile: status updated"
                );
                ctx.succeeded(&name);
                return Ok(Action::requeue(RESYNC));
            }
            Err(e) if is_status(&e, 409) => {
                ctx.metrics.conflicts.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(foo = %name, "reconcile: conflict writing status, re-reading");
                match ctx.api.get_opt(&name).await {
                    Ok(Some(fresh)) => current = Arc::new(fresh),
                    Ok(None) => return Ok(gone(&ctx, &name)),
                    Err(source) => return Err(Error::Read { name, source }),
                }
            }
            Err(e) if is_status(&e, 404) => return Ok(gone(&ctx, &name)),
            Err(source) => return Err(Error::Write { name, source }),
        }
    }
    Err(Error::Conflicts { name })
}

fn gone(ctx: &Context, name: &str) -> Action {
    tracing::debug!(foo = %name, "reconcile: deleted meanwhile");
    ctx.succeeded(name);
    Action::await_change()
}

pub fn ready_condition(foo: &Foo) -> Option<&Condition> {
    foo.status
        .as_ref()?
        .conditions
        .iter()
        .find(|c| c.type_ == READY)
}

/// Requeues the object with exponential backoff of its own.
pub fn error_policy(foo: Arc<Foo>, error: &Error, ctx: Arc<Context>) -> Action {
    ctx.metrics.errors.fetch_add(1, Ordering::Relaxed);
    let name = foo.metadata.name.as_deref().unwrap_or_default();
    let failures = ctx.failed(name);
    let delay = backoff(failures);
    tracing::warn!(foo = %name, failures, retry_in = ?delay, "reconcile failed: {error}");
    Action::requeue(delay)
}

/// The field manager the controller's status writes are recorded under in managedFields.
const FIELD_MANAGER: &str = "foo-controller";

fn write_params() -> PostParams {
    PostParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..PostParams::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use foo_sdk::FooSpec;

    fn foo(generation: i64, suspend: bool, status: Option<FooStatus>) -> Foo {
        let mut foo = Foo::new(
            "f",
            FooSpec {
                greeting: "Hello".into(),
                suspend,
            },
        );
        foo.metadata.generation = Some(generation);
        foo.status = status;
        foo
    }

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(seconds).unwrap()
    }

    #[test]
    fn new_foo_becomes_ready() {
        let status = desired_status(&foo(1, false, None), at(100)).expect("a write");
        assert_eq!(status.observed_generation, Some(1));
        let ready = &status.conditions[0];
        assert_eq!(
            (
                ready.type_.as_str(),
                ready.status.as_str(),
                ready.reason.as_str()
            ),
            ("Ready", "True", "Reconciled")
        );
        assert_eq!(ready.observed_generation, Some(1));
        assert_eq!(ready.last_transition_time, Time(at(100)));
        assert!(!ready.message.is_empty());
    }

    #[test]
    fn up_to_date_foo_needs_no_write() {
        let status = desired_status(&foo(1, false, None), at(100));
        assert_eq!(desired_status(&foo(1, false, status), at(200)), None);
    }

    #[test]
    fn spec_change_updates_generations_but_keeps_transition_time() {
        let status = desired_status(&foo(1, false, None), at(100));
        let status = desired_status(&foo(2, false, status), at(200)).expect("a write");
        assert_eq!(status.observed_generation, Some(2));
        assert_eq!(status.conditions[0].observed_generation, Some(2));
        assert_eq!(status.conditions[0].last_transition_time, Time(at(100)));
    }

    #[test]
    fn suspend_flips_ready_and_its_transition_time() {
        let status = desired_status(&foo(1, false, None), at(100));
        let suspended = desired_status(&foo(2, true, status), at(200)).expect("a write");
        let ready = &suspended.conditions[0];
        assert_eq!(
            (ready.status.as_str(), ready.reason.as_str()),
            ("False", "Suspended")
        );
        assert!(ready.message.contains("suspended"));
        assert_eq!(ready.last_transition_time, Time(at(200)));
        let resumed = desired_status(&foo(3, false, Some(suspended)), at(300)).expect("a write");
        assert_eq!(resumed.conditions[0].status, "True");
        assert_eq!(resumed.conditions[0].last_transition_time, Time(at(300)));
    }

    #[test]
    fn keeps_bar_fields_and_other_conditions() {
        let other = Condition {
            type_: "Other".into(),
            status: "True".into(),
            reason: "Because".into(),
            message: String::new(),
            observed_generation: None,
            last_transition_time: Time(at(5)),
        };
        let before = FooStatus {
            observed_generation: None,
            bar_count: Some(7),
            last_bar_time: Some(Time(at(50))),
            last_message: Some("Hello, world".into()),
            conditions: vec![other.clone()],
        };
        let after = desired_status(&foo(1, false, Some(before)), at(100)).expect("a write");
        assert_eq!(after.bar_count, Some(7));
        assert_eq!(after.last_bar_time, Some(Time(at(50))));
        assert_eq!(after.last_message.as_deref(), Some("Hello, world"));
        assert_eq!(after.conditions[0], other);
        assert_eq!(after.conditions[1].type_, "Ready");
    }

    #[test]
    fn unknown_ready_becomes_true_with_a_new_transition_time() {
        let before = FooStatus {
            observed_generation: Some(1),
            conditions: vec![Condition {
                type_: "Ready".into(),
                status: "Unknown".into(),
                reason: "Pending".into(),
                message: String::new(),
                observed_generation: Some(1),
                last_transition_time: Time(at(5)),
            }],
            ..FooStatus::default()
        };
        let after = desired_status(&foo(1, false, Some(before)), at(100)).expect("a write");
        assert_eq!(after.conditions.len(), 1);
        assert_eq!(after.conditions[0].status, "True");
        assert_eq!(after.conditions[0].last_transition_time, Time(at(100)));
    }

    #[test]
    fn backoff_doubles_up_to_a_ceiling() {
        assert_eq!(backoff(1), Duration::from_millis(250));
        assert_eq!(backoff(2), Duration::from_millis(500));
        assert_eq!(backoff(3), Duration::from_secs(1));
        assert_eq!(backoff(10), BACKOFF_MAX);
        assert_eq!(backoff(u32::MAX), BACKOFF_MAX);
    }
}
