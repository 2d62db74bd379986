// JSON to YAML with sigs.k8s.io/yaml, the library kubectl and kube-apiserver write YAML
// with: the oracle of tests/yaml.rs. Built by xtask into the peers' cache.
module foo-apiserver.test/json-to-yaml

go 1.24.0

require sigs.k8s.io/yaml v1.6.0

require go.yaml.in/yaml/v2 v2.4.2 // indirect
