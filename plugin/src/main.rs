//! kubectl-foo: the kubectl plugin for the Foo API (`kubectl foo …`).

fn main() {
    std::process::exit(kubectl_foo::run(std::env::args_os()));
}
