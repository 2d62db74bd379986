mod common;

#[test]
fn harness_starts_a_server_kubectl_can_use() {
    let server = common::Server::start();
    for kubectl in common::kubectls() {
        let out = kubectl.run(&server.kubeconfig(), &["get", "foos"]);
        common::ok(&out);
        assert!(String::from_utf8_lossy(&out.stderr).contains("No resources found"));
    }
}
