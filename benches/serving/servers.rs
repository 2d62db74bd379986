//! The servers one run measures, started for the stores the plan names: each reached
//! directly, and (for the `cluster` store) foo through kube-apiserver beside a CRD.

use crate::common::etcd::EtcdCluster;
use crate::endpoint::Endpoint;
use crate::options::{Plan, Store};
use crate::peers::{self, Lab, Running, Writer};

/// The background write rate of the kube-apiserver sharing etcd while a server on it is
/// measured.
const BACKGROUND_WRITES_PER_SECOND: u32 = 20;

/// One server as the scenarios see it.
#[derive(Clone, Debug)]
pub struct Target {
    pub endpoint: Endpoint,
    /// On the etcd kube-apiserver writes to: its writer runs while this is measured.
    pub shared: bool,
    /// foo-apiserver (rather than a peer): the ratios are foo's against the others.
    pub is_foo: bool,
}

pub struct Servers {
    /// Killed before the etcds and the lab they use (fields drop in order).
    pub running: Vec<Running>,
    /// Each server reached directly, in the order of `running`.
    pub direct: Vec<Target>,
    /// foo through kube-apiserver, then the CRD.
    pub through_cluster: Vec<Target>,
    _etcd: Option<EtcdCluster>,
    lab: Option<Lab>,
    pub notes: Vec<String>,
}

impl Servers {
    /// Starts what `plan` needs; blocking (outside the runtime).
    pub fn start(plan: &Plan) -> Servers {
        let mut servers = Servers {
            running: Vec::new(),
            direct: Vec::new(),
            through_cluster: Vec::new(),
            _etcd: None,
            lab: None,
            notes: Vec::new(),
        };
        if plan.has(Store::Embedded) {
            servers.add(peers::foo_embedded(), false, true);
            if has_peer("STATIC_JSON_SERVER", &mut servers.notes) {
                servers.add(peers::static_json(), false, false);
            }
        }
        if plan.has(Store::Etcd) {
            let etcd = peers::dedicated_etcd();
            servers.add(peers::foo_on_etcd(&etcd), false, true);
            servers._etcd = Some(etcd);
        }
        let wants_lab = plan.has(Store::Shared) || plan.has(Store::Cluster);
        if wants_lab && has_peer("KUBE_APISERVER", &mut servers.notes) {
            eprintln!("starting kube-apiserver and its etcd…");
            let lab = Lab::start();
            let foo = lab.foo_shared();
            if plan.has(Store::Cluster) {
                let via = lab.through_cluster(&foo);
                servers.through_cluster.push(Target {
                    endpoint: via,
                    shared: true,
                    is_foo: true,
                });
                servers.through_cluster.push(Target {
                    endpoint: lab.crd(),
                    shared: true,
                    is_foo: false,
                });
            }
            if plan.has(Store::Shared) {
                servers.add(foo, true, true);
                if has_peer("SAMPLE_APISERVER", &mut servers.notes) {
                    servers.add(lab.sample_apiserver(), true, false);
                }
            } else {
                servers.running.push(foo);
            }
            servers.lab = Some(lab);
        }
        servers
    }

    fn add(&mut self, running: Running, shared: bool, is_foo: bool) {
        self.direct.push(Target {
            endpoint: running.endpoint.clone(),
            shared,
            is_foo,
        });
        self.running.push(running);
    }

    /// The background writer for measuring `target`, if it shares etcd with kube-apiserver.
    pub fn background(&self, target: &Target) -> Option<Writer> {
        let lab = self.lab.as_ref().filter(|_| target.shared)?;
        Some(lab.writer(BACKGROUND_WRITES_PER_SECOND))
    }

    /// Restarts the running server of `target` (for memory at a cold start); its targets
    /// follow the new pid.
    pub fn restart(&mut self, name: &str) {
        let Some(running) = self.running.iter_mut().find(|r| r.endpoint.name == name) else {
            return;
        };
        running.restart();
        let pid = running.endpoint.pid;
        for target in self.direct.iter_mut().filter(|t| t.endpoint.name == name) {
            target.endpoint.pid = pid;
        }
    }
}

/// Whether the binary a peer needs is named by `$var` (`cargo xtask bench` sets them all);
/// notes the peer as skipped otherwise.
fn has_peer(var: &str, notes: &mut Vec<String>) -> bool {
    let set = std::env::var_os(var).is_some_and(|value| !value.is_empty());
    if !set {
        let note = format!("`${var}` is not set: the servers that need it were not run.");
        eprintln!("{note}");
        notes.push(note);
    }
    set
}
