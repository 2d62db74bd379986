//! `kubectl_complete-foo`: kubectl's plugin-completion protocol (kubectl 1.26 and newer runs it
//! with the words after `kubectl foo` and expects cobra's `__complete` output).

fn main() {
    let words: Vec<String> = std::env::args().skip(1).collect();
    kubectl_foo::complete::run(&words);
}
