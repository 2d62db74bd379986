//! The servers one run measures, started for the stores and comparisons the plan names: each
//! reached directly, and (for the `cluster` store) foo through kube-apiserver beside a CRD.

use crate::common::etcd::EtcdCluster;
use crate::comparison::{Comparison, FOO_PEER, Role, SAMPLE_APISERVER};
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
    /// Its comparisons, and whether it is their server under test or a peer.
    pub role: Role,
}

pub struct Servers {
    /// Killed before the etcds and the lab they use (fields drop in order).
    pub running: Vec<Running>,
    /// Each server reached directly, in the order of `running`: within a round the servers
    /// take turns in this order.
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
        let foo = plan.compares(Comparison::Foo);
        let flunder = plan.compares(Comparison::Flunder);
        let foo_under_test = Role::UnderTest(Comparison::Foo);
        let wardle_under_test = Role::UnderTest(Comparison::Flunder);
        if plan.has(Store::Embedded) {
            if foo {
                servers.add(peers::foo_embedded(), false, foo_under_test);
                if has_peer("STATIC_JSON_SERVER", &mut servers.notes) {
                    servers.add(peers::static_json(), false, FOO_PEER);
                }
            }
            if flunder {
                servers.add(peers::wardle_embedded(), false, wardle_under_test);
            }
        }
        if foo && plan.has(Store::Etcd) {
            let etcd = peers::dedicated_etcd();
            servers.add(peers::foo_on_etcd(&etcd), false, foo_under_test);
            servers._etcd = Some(etcd);
        }
        // sample-apiserver runs in the lab alone (it delegates to kube-apiserver): the Flunder
        // comparison's etcd is the lab's.
        let wants_lab =
            (plan.has(Store::Shared) && (foo || flunder)) || (plan.has(Store::Cluster) && foo);
        if wants_lab && has_peer("KUBE_APISERVER", &mut servers.notes) {
            eprintln!("starting kube-apiserver and its etcd…");
            let lab = Lab::start();
            if foo {
                let foo_shared = lab.foo_shared();
                if plan.has(Store::Cluster) {
                    let via = lab.through_cluster(&foo_shared);
                    servers.through_cluster.push(Target {
                        endpoint: via,
                        shared: true,
                        role: foo_under_test,
                    });
                    servers.through_cluster.push(Target {
                        endpoint: lab.crd(),
                        shared: true,
                        role: FOO_PEER,
                    });
                }
                if plan.has(Store::Shared) {
                    servers.add(foo_shared, true, foo_under_test);
                } else {
                    servers.running.push(foo_shared);
                }
            }
            if plan.has(Store::Shared) {
                if flunder {
                    servers.add(lab.wardle(), true, wardle_under_test);
                }
                if has_peer("SAMPLE_APISERVER", &mut servers.notes) {
                    servers.add(lab.sample_apiserver(), true, SAMPLE_APISERVER);
                }
            }
            servers.lab = Some(lab);
        }
        servers
    }

    fn add(&mut self, running: Running, shared: bool, role: Role) {
        self.direct.push(Target {
            endpoint: running.endpoint.clone(),
            shared,
            role,
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
