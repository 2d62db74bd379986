//! A label selector and a field selector, parsed and matched.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| foo_apiserver::fuzzing::FOO.selectors(data));
